//! `webhook:<name>`: a JSON POST to any URL (`general.webhooks.<name>: {url, headers,
//! secret}`), for receivers of your own.
//!
//! The body is versioned: `version` changes only when a field changes meaning or goes away
//! (new fields may appear at any version):
//! ```json
//! {"version": 1, "kind": "alert", "title": "❌ example.org (IPv4): status critical",
//!  "text": "URL: …", "severity": "critical", "link": "https://argos.example.org/result/7",
//!  "alerts": [{"id": 12, "kind": "change", "domain": "example.org", "url": "https://example.org/",
//!              "check": "status-is", "ip_version": "4", "previous": "ok", "severity": "critical",
//!              "since": "2026-12-02T10:00:00Z", "at": "2026-12-02T10:00:00Z", "detail": "…",
//!              "result_url": "…", "task_url": "…"}]}
//! ```
//! `kind` is `alert` (one domain), `summary` (many), `no-agent`, `agent-back` or `test`.
//! With a `secret`, `X-Argos-Signature: sha256=<hex HMAC-SHA256 of the body>` lets the
//! receiver check that the request comes from Argos.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::{HttpPost, Notice};
use crate::config::channels::{headers, http_url};
use crate::config::problem::Problems;
use crate::config::reader::{self, Section};
use crate::config::yaml::Node;

/// The body's format version.
pub const VERSION: u32 = 1;
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-argos-signature";

/// One webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where to POST.
    pub url: url::Url,
    /// Extra headers (an API key, ...).
    pub headers: Vec<(String, String)>,
    /// Key of the HMAC signature header.
    pub secret: Option<String>,
}

/// Reads one `general.webhooks.<name>`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Option<Webhook> {
    let sec = Section::new(node, path, &["url", "headers", "secret"], p);
    let url = sec.req("url", p, http_url);
    let headers = sec.opt("headers", p, headers).unwrap_or_default();
    let secret = sec.opt("secret", p, reader::non_empty);
    Some(Webhook {
        url: url?,
        headers,
        secret,
    })
}

/// The versioned body.
pub fn body(notice: &Notice) -> serde_json::Value {
    json!({
        "version": VERSION,
        "kind": notice.kind,
        "title": notice.title,
        "text": notice.text,
        "severity": notice.severity,
        "link": notice.link,
        "alerts": notice.items,
    })
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!(
        "sha256={}",
        argos_checks::hex::encode(&mac.finalize().into_bytes())
    )
}

impl Webhook {
    /// The request.
    pub fn render(&self, notice: &Notice) -> HttpPost {
        let mut post = HttpPost::json(self.url.clone(), &body(notice));
        for (name, value) in &self.headers {
            post = post.header(name, value.clone());
        }
        match &self.secret {
            Some(secret) => {
                let sig = signature(secret, &post.body);
                post.header(SIGNATURE_HEADER, sig)
            }
            None => post,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_the_rfc_4231_hmac() {
        // RFC 4231 test case 2.
        let got = super::signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            got,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

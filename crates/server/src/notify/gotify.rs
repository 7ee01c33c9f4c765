//! `gotify`: every server × application token of `general.gotify` (reference §6.4).
//!
//! Fixed from the reference: the token goes in the `X-Gotify-Key` header, not the URL (where
//! proxies log it); `message` is joined to the server URL as a path, so a server under a
//! prefix (`https://host/gotify`) works; an HTTP error on one token does not stop the others.

use argos_checks::Severity;
use futures_util::future::join_all;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::http::public_url;
use super::{Ctx, HttpPost, Notice, SendError};
use crate::config::channels::http_url;
use crate::config::problem::Problems;
use crate::config::reader::{self, Section, index};
use crate::config::yaml::Node;

/// One Gotify server and the application tokens to post with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gotify {
    /// The server's base URL (http or https).
    pub url: url::Url,
    /// Application tokens; each message is posted once per token.
    pub tokens: Vec<String>,
}

/// Reads `general.gotify`: a list of `{url, tokens}`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Vec<Gotify> {
    let Some(items) = reader::list(node, path, p) else {
        return Vec::new();
    };
    let mut servers = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let sec = Section::new(item, &item_path, &["url", "tokens"], p);
        let url = sec.req("url", p, http_url);
        let tokens = sec.req("tokens", p, reader::strings).unwrap_or_default();
        if let (Some(url), Some(node)) = (url, sec.node()) {
            if tokens.is_empty() {
                p.warn(
                    node,
                    &item_path,
                    "no token: nothing will be posted to this server",
                );
            }
            servers.push(Gotify { url, tokens });
        }
    }
    servers
}

/// The reference's priorities: ok 1, warning and unknown 5, critical 9.
pub fn priority(s: Severity) -> u8 {
    match s {
        Severity::Ok => 1,
        Severity::Warning | Severity::Unknown => 5,
        Severity::Critical => 9,
    }
}

impl Gotify {
    /// The request for one token.
    pub fn render(&self, token: &str, notice: &Notice) -> HttpPost {
        let mut body = json!({
            "title": notice.title,
            "message": notice.markdown,
            "priority": priority(notice.severity),
            "extras": {"client::display": {"contentType": "text/markdown"}},
        });
        if let Some(link) = &notice.link {
            body["extras"]["client::notification"] = json!({"click": {"url": link}});
        }
        HttpPost::json(message_url(&self.url), &body).header("x-gotify-key", token)
    }
}

/// `<url>/message`, whether or not the configured URL ends with `/`.
fn message_url(base: &url::Url) -> url::Url {
    let mut url = base.clone();
    let path = format!("{}/message", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// Names one server × token in the delivery's record and in errors without the token (nor
/// credentials the server URL may hold).
pub fn target(server: &Gotify, token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let short = argos_checks::hex::encode(&digest[..4]);
    format!("{}#{short}", public_url(&server.url))
}

/// Posts to every server × token not in `done`, all at once; one failure does not stop the
/// others.
///
/// At once, so the whole send takes one client timeout at most: one after the other, a slow
/// first token would push the rest past the channel's time limit, which drops the record of
/// what was done and makes the retry post twice to the tokens that had it.
///
/// # Errors
/// The failures, with the targets that did receive it (so a retry skips them).
pub async fn send(
    servers: &[Gotify],
    ctx: &Ctx,
    notice: &Notice,
    done: &[String],
) -> Result<(), SendError> {
    let mut todo: Vec<(String, HttpPost)> = Vec::new();
    for server in servers {
        for token in &server.tokens {
            let name = target(server, token);
            if !done.contains(&name) && todo.iter().all(|(n, _)| *n != name) {
                todo.push((name, server.render(token, notice)));
            }
        }
    }
    let sending = todo
        .into_iter()
        .map(|(name, post)| async move { (name, post.send(ctx).await) });
    let mut served = done.to_vec();
    let mut errors = Vec::new();
    let mut permanent = true;
    for (name, outcome) in join_all(sending).await {
        match outcome {
            Ok(()) => served.push(name),
            Err(e) => {
                permanent &= e.permanent;
                errors.push(format!("{name}: {}", e.message));
            }
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(SendError {
        message: errors.join("; "),
        done: served,
        permanent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_path_is_joined_to_any_base() {
        for (base, want) in [
            ("https://g.example/", "https://g.example/message"),
            (
                "https://g.example/gotify",
                "https://g.example/gotify/message",
            ),
            (
                "https://g.example/gotify/",
                "https://g.example/gotify/message",
            ),
        ] {
            let got = message_url(&url::Url::parse(base).unwrap());
            assert_eq!(got.as_str(), want);
        }
    }

    #[test]
    fn targets_never_contain_the_token() {
        let s = Gotify {
            url: url::Url::parse("https://admin:pw@g.example/").unwrap(),
            tokens: vec!["s3cret-token".into()],
        };
        let t = target(&s, "s3cret-token");
        assert!(t.starts_with("https://g.example/#"), "{t}");
        assert!(!t.contains("s3cret") && !t.contains("pw"), "{t}");
    }
}

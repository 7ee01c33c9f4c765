//! A response as the checks see it: status, headers (names lower-cased, order kept), the
//! body up to the size cap, the redirects followed, the certificate's expiry for HTTPS, and
//! where the time went.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::timing::Timings;

/// A response, read.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL requested.
    pub url: url::Url,
    /// The status code (of the last answer, when redirects were followed).
    pub status: u16,
    /// Headers in the order received, as the site sent them (`Content-Encoding` and
    /// `Content-Length` of a compressed body included); names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (decompressed), at most `max_body_bytes`.
    pub body: Vec<u8>,
    /// Whether the body was longer than `max_body_bytes` and cut.
    pub body_truncated: bool,
    /// From the start of the probe (name resolution included) to the last body byte read,
    /// redirects followed included: what `response-time` judges.
    pub elapsed: Duration,
    /// What the TLS connection of the URL requested showed, for `https` URLs.
    pub tls: Option<TlsFacts>,
    /// The redirects followed (empty unless the path asks to follow them).
    pub redirects: Vec<Redirect>,
    /// Where the time went.
    pub timings: Timings,
}

/// One redirect followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    /// The URL that answered with a redirect.
    pub url: url::Url,
    /// Its status (301, 302, 303, 307 or 308).
    pub status: u16,
    /// Its `Location` header, as sent.
    pub location: String,
    /// `location` resolved against `url`: the next URL requested.
    pub to: url::Url,
}

/// Facts about the server's certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFacts {
    /// The leaf certificate's `notAfter`.
    pub not_after: DateTime<Utc>,
}

impl TlsFacts {
    /// `{not_after, expires_in_days (floored), expires_in_seconds}` as of `now`; negative once
    /// expired.
    pub fn to_json(&self, now: DateTime<Utc>) -> Value {
        let seconds = (self.not_after - now).num_seconds();
        json!({
            "not_after": self.not_after.to_rfc3339(),
            "expires_in_days": seconds.div_euclid(86_400),
            "expires_in_seconds": seconds,
        })
    }
}

impl Fetched {
    /// Status and `Location` of the first answer, the one to the URL requested: what
    /// `http-to-https` and `redirects-to` judge, whether or not redirects were followed.
    pub fn first_answer(&self) -> (u16, Option<String>) {
        match self.redirects.first() {
            Some(r) => (r.status, Some(r.location.clone())),
            None => (self.status, self.header("location")),
        }
    }

    /// The value of header `name` (any case); repeated headers joined with `", "`.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = values.next()?.1.clone();
        Some(values.fold(first, |acc, (_, v)| format!("{acc}, {v}")))
    }

    /// The distinct header names, in order (lower case).
    pub fn header_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.headers {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }

    /// Every header as name → joined value.
    pub fn header_map(&self) -> Map<String, Value> {
        let names = self.header_names();
        names
            .into_iter()
            .map(|n| (n.to_owned(), Value::from(self.header(n))))
            .collect()
    }

    /// The body as text, decoded from its charset (see [`Fetched::charset`]), invalid bytes
    /// replaced.
    pub fn text(&self) -> Cow<'_, str> {
        self.encoding().decode(&self.body).0
    }

    /// The body's charset, by the rules of module `charset`: a BOM, the `Content-Type`
    /// charset, an HTML `<meta charset>`, else UTF-8 (the encoding's WHATWG name).
    pub fn charset(&self) -> &'static str {
        self.encoding().name()
    }

    fn encoding(&self) -> &'static encoding_rs::Encoding {
        super::charset::of(self.header("content-type").as_deref(), &self.body)
    }

    /// A response built by hand, for unit tests of checks.
    #[cfg(test)]
    pub(crate) fn test(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Fetched {
        Fetched {
            url: url::Url::parse("http://example.org/").expect("a valid URL"),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
            body_truncated: false,
            elapsed: Duration::from_millis(5),
            tls: None,
            redirects: Vec::new(),
            timings: Timings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn certificate_facts_count_down_and_go_negative() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let facts = TlsFacts {
            not_after: now - chrono::Duration::hours(1),
        };
        assert_eq!(
            facts.to_json(now),
            json!({"not_after": "2025-12-31T23:00:00+00:00", "expires_in_days": -1, "expires_in_seconds": -3600})
        );
    }

    #[test]
    fn the_first_answer_is_the_first_redirect_when_followed() {
        let mut f = Fetched::test(301, &[("location", "/a")], b"");
        assert_eq!(f.first_answer(), (301, Some("/a".to_owned())));
        f.status = 200;
        f.redirects.push(Redirect {
            url: f.url.clone(),
            status: 308,
            location: "/b".into(),
            to: f.url.join("/b").unwrap(),
        });
        assert_eq!(f.first_answer(), (308, Some("/b".to_owned())));
    }

    #[test]
    fn headers_are_case_insensitive_and_joined() {
        let f = Fetched::test(
            200,
            &[("Set-Cookie", "a"), ("x", "1"), ("set-cookie", "b")],
            b"",
        );
        assert_eq!(f.header("SET-COOKIE").as_deref(), Some("a, b"));
        assert_eq!(f.header("missing"), None);
        assert_eq!(f.header_names(), ["set-cookie", "x"]);
        assert_eq!(
            Value::Object(f.header_map()),
            json!({"set-cookie": "a, b", "x": "1"})
        );
    }
}

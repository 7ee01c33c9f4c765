//! A response as the checks see it: status, headers (names lower-cased, order kept), the
//! body up to the size cap, and the certificate's expiry for HTTPS.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A response, read.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL requested.
    pub url: url::Url,
    /// The status code.
    pub status: u16,
    /// Headers in the order received; names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (decompressed), at most `max_body_bytes`.
    pub body: Vec<u8>,
    /// Whether the body was longer than `max_body_bytes` and cut.
    pub body_truncated: bool,
    /// From sending the request to the last body byte read.
    pub elapsed: Duration,
    /// What the TLS connection showed, for `https` URLs.
    pub tls: Option<TlsFacts>,
}

/// Facts about the server's certificate.
#[derive(Debug, Clone)]
pub struct TlsFacts {
    /// The leaf certificate's `notAfter`.
    pub not_after: DateTime<Utc>,
}

impl Fetched {
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

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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

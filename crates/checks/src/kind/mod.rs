//! Every check type an agent can run, one file each, dispatched by the [`Check`] enum.
//!
//! A check is named as in the Argos Panoptès config (`status-is`, `json-has`, ...) and carries
//! its parsed expectation. The stored (and wire) form is the pair *(name, expected string)*:
//! [`Check::parse`] reads it, [`Check::expected`] writes the canonical string back. Parsing
//! is strict: a bad expectation is an [`Invalid`] at config load, never a surprise at run time
//! (the reference only found out when the agent ran the check).
//!
//! Evaluating a check never fails: [`Check::evaluate`] turns a fetched response into an
//! [`Outcome`], which may be a failure or an error.
//!
//! To add a check type: write `kind/<name>.rs` with a payload type (`TryFrom<String>`,
//! `From<_> for String`, `evaluate`) and its tests, then add a variant, its name in
//! [`Check::NAMES`] and one arm to each `match` below; the compiler lists the arms.

mod expected;
mod json_doc;

pub mod body_contains;
pub mod body_like;
pub mod headers_contain;
pub mod headers_have;
pub mod headers_like;
pub mod http_to_https;
pub mod json_contains;
pub mod json_has;
pub mod json_is;
pub mod json_like;
pub mod ssl_certificate_expiration;
pub mod status_in;
pub mod status_is;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use expected::Pattern;

use crate::Outcome;
use crate::probe::Fetched;

/// A check and its parsed expectation. Serialised as `{"check": name, "expected": string}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", content = "expected", rename_all = "kebab-case")]
#[allow(missing_docs)] // each variant is documented on its payload type
pub enum Check {
    StatusIs(status_is::StatusIs),
    StatusIn(status_in::StatusIn),
    HttpToHttps(http_to_https::HttpToHttps),
    HeadersContain(headers_contain::HeadersContain),
    HeadersHave(headers_have::HeadersHave),
    HeadersLike(headers_like::HeadersLike),
    BodyContains(body_contains::BodyContains),
    BodyLike(body_like::BodyLike),
    JsonContains(json_contains::JsonContains),
    JsonHas(json_has::JsonHas),
    JsonLike(json_like::JsonLike),
    JsonIs(json_is::JsonIs),
    SslCertificateExpiration(ssl_certificate_expiration::SslCertificateExpiration),
}

/// A check name or expectation that cannot be used. The message says what was expected and
/// what was got.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Check {
    /// The config names, in the reference's order.
    pub const NAMES: [&'static str; 13] = [
        "status-is",
        "status-in",
        "http-to-https",
        "headers-contain",
        "headers-have",
        "headers-like",
        "body-contains",
        "body-like",
        "json-contains",
        "json-has",
        "json-like",
        "json-is",
        "ssl-certificate-expiration",
    ];

    /// Parses the stored (or wire) pair: a check name and its expected string.
    ///
    /// # Errors
    /// An unknown name (the message lists the valid ones) or an expectation the check cannot use.
    pub fn parse(name: &str, expected: &str) -> Result<Check, Invalid> {
        // Checked first so the message lists the names; serde's would use its own wording.
        if !Check::NAMES.contains(&name) {
            return Err(unknown(name));
        }
        serde_json::from_value(json!({"check": name, "expected": expected}))
            .map_err(|e| Invalid(e.to_string()))
    }

    /// Parses a check from its config value (YAML already converted to JSON), normalising the
    /// value into the expected string first (reference §1.8, made strict).
    ///
    /// # Errors
    /// An unknown name, a value of the wrong shape, or an expectation the check cannot use.
    pub fn from_config(name: &str, value: &Value) -> Result<Check, Invalid> {
        if !Check::NAMES.contains(&name) {
            return Err(unknown(name));
        }
        let expected = if name == http_to_https::NAME {
            http_to_https::normalise(value)?
        } else {
            normalise(name, value)?
        };
        Check::parse(name, &expected)
    }

    /// The config name.
    pub fn name(&self) -> &'static str {
        match self {
            Check::StatusIs(_) => status_is::NAME,
            Check::StatusIn(_) => status_in::NAME,
            Check::HttpToHttps(_) => http_to_https::NAME,
            Check::HeadersContain(_) => headers_contain::NAME,
            Check::HeadersHave(_) => headers_have::NAME,
            Check::HeadersLike(_) => headers_like::NAME,
            Check::BodyContains(_) => body_contains::NAME,
            Check::BodyLike(_) => body_like::NAME,
            Check::JsonContains(_) => json_contains::NAME,
            Check::JsonHas(_) => json_has::NAME,
            Check::JsonLike(_) => json_like::NAME,
            Check::JsonIs(_) => json_is::NAME,
            Check::SslCertificateExpiration(_) => ssl_certificate_expiration::NAME,
        }
    }

    /// The canonical expected string, as stored and sent to agents. The Python agent of Argos
    /// Panoptès reads it too, so lists and maps are JSON with Python's `", "` / `": "` separators.
    pub fn expected(&self) -> String {
        match self {
            Check::StatusIs(c) => c.expected(),
            Check::StatusIn(c) => c.expected(),
            Check::HttpToHttps(c) => c.expected(),
            Check::HeadersContain(c) => c.expected(),
            Check::HeadersHave(c) => c.expected(),
            Check::HeadersLike(c) => c.expected(),
            Check::BodyContains(c) => c.expected(),
            Check::BodyLike(c) => c.expected(),
            Check::JsonContains(c) => c.expected(),
            Check::JsonHas(c) => c.expected(),
            Check::JsonLike(c) => c.expected(),
            Check::JsonIs(c) => c.expected(),
            Check::SslCertificateExpiration(c) => c.expected(),
        }
    }

    /// The URL actually requested for a task on `url`: the same URL with scheme `http` for
    /// `http-to-https` (an explicit port is kept, as in the reference), otherwise `url`.
    pub fn request_url(&self, url: &url::Url) -> url::Url {
        match self {
            Check::HttpToHttps(_) => http_to_https::plain_http(url),
            _ => url.clone(),
        }
    }

    /// Evaluates the check against a fetched response. Never panics.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        match self {
            Check::StatusIs(c) => c.evaluate(fetched),
            Check::StatusIn(c) => c.evaluate(fetched),
            Check::HttpToHttps(c) => c.evaluate(fetched),
            Check::HeadersContain(c) => c.evaluate(fetched),
            Check::HeadersHave(c) => c.evaluate(fetched),
            Check::HeadersLike(c) => c.evaluate(fetched),
            Check::BodyContains(c) => c.evaluate(fetched),
            Check::BodyLike(c) => c.evaluate(fetched),
            Check::JsonContains(c) => c.evaluate(fetched),
            Check::JsonHas(c) => c.evaluate(fetched),
            Check::JsonLike(c) => c.evaluate(fetched),
            Check::JsonIs(c) => c.evaluate(fetched),
            Check::SslCertificateExpiration(c) => c.evaluate(fetched),
        }
    }
}

fn unknown(name: &str) -> Invalid {
    Invalid(format!(
        "unknown check {name:?} (valid checks: {})",
        Check::NAMES.join(", ")
    ))
}

/// Reference §1.8 for every check but `http-to-https`: the expected value becomes a string.
/// Unlike the reference, a bool is `true`/`false` (not Python's `True`).
fn normalise(name: &str, value: &Value) -> Result<String, Invalid> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Value::Number(n) => Err(Invalid(format!(
            "{name} expects a string, an integer, a list or a map, got the decimal number {n}"
        ))),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Array(_) | Value::Object(_) => Ok(value.to_string()),
        Value::Null => Err(Invalid(format!(
            "{name} needs an expected value, got nothing (null)"
        ))),
    }
}

/// The object inside a `json!({...})` literal, as an outcome context.
pub(crate) fn context(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_owned(), other)]),
    }
}

/// Success when there is no problem, otherwise a failure whose context says why (`detail`).
pub(crate) fn verdict(problem: Option<String>, mut ctx: Map<String, Value>) -> Outcome {
    if let Some(detail) = &problem {
        ctx.insert("detail".to_owned(), json!(detail));
    }
    Outcome::pass_fail(problem.is_none(), ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = Check::parse("status-iz", "200").unwrap_err().0;
        assert!(
            err.starts_with(r#"unknown check "status-iz" (valid checks: status-is, status-in,"#)
        );
        assert!(
            err.ends_with("json-is, ssl-certificate-expiration)"),
            "{err}"
        );
        assert_eq!(
            Check::from_config("nope", &json!(1)).unwrap_err(),
            unknown("nope")
        );
    }

    #[test]
    fn every_name_parses_and_round_trips() {
        let samples = [
            ("status-is", "200"),
            ("status-in", "[200, 301]"),
            ("http-to-https", r#"{"range": [300, 400]}"#),
            ("headers-contain", r#"["content-type"]"#),
            ("headers-have", r#"{"x-a": "b"}"#),
            ("headers-like", r#"{"x-a": "^b"}"#),
            ("body-contains", "hello"),
            ("body-like", "h.llo"),
            ("json-contains", r#"["/a", "/b/0"]"#),
            ("json-has", r#"{"/a": 1}"#),
            ("json-like", r#"{"/a": "^x"}"#),
            ("json-is", r#"{"a": [1, 2]}"#),
            ("ssl-certificate-expiration", "on-check"),
        ];
        for (i, (name, expected)) in samples.into_iter().enumerate() {
            let check = Check::parse(name, expected).unwrap();
            assert_eq!(check.name(), name);
            assert_eq!(Check::NAMES[i], name);
            assert_eq!(check.expected(), expected, "{name}");
            assert_eq!(Check::parse(name, &check.expected()).unwrap(), check);
            let wire = serde_json::to_value(&check).unwrap();
            assert_eq!(wire, json!({"check": name, "expected": expected}));
            assert_eq!(serde_json::from_value::<Check>(wire).unwrap(), check);
        }
    }

    #[test]
    fn payload_errors_come_through_unchanged() {
        let err = Check::parse("status-is", "abc").unwrap_err();
        assert_eq!(
            err.0,
            r#"status-is expects an HTTP status code (100-599), got "abc""#
        );
        let err = Check::from_config("http-to-https", &json!(false)).unwrap_err();
        assert!(
            err.0
                .starts_with("http-to-https expects true, a redirect status code"),
            "{err}"
        );
        let err = Check::from_config("json-is", &json!("not json")).unwrap_err();
        assert_eq!(err.0, r#"json-is expects a JSON document, got "not json""#);
        let err = Check::from_config("status-is", &json!(true)).unwrap_err();
        assert_eq!(
            err.0,
            r#"status-is expects an HTTP status code (100-599), got "true""#
        );
    }

    #[test]
    fn config_values_are_normalised() {
        let c = Check::from_config("status-is", &json!(200)).unwrap();
        assert_eq!(c.expected(), "200");
        let c = Check::from_config("status-in", &json!([401, 301])).unwrap();
        assert_eq!(c.expected(), "[401, 301]");
        let c = Check::from_config("json-has", &json!({"/ok": true})).unwrap();
        assert_eq!(c.expected(), r#"{"/ok": true}"#);
        let c = Check::from_config("body-contains", &json!(true)).unwrap();
        assert_eq!(c.expected(), "true");
        let c = Check::from_config("json-is", &json!({"a": {"b": null}})).unwrap();
        assert_eq!(c.expected(), r#"{"a": {"b": null}}"#);
    }

    #[test]
    fn null_and_floats_are_rejected() {
        let err = Check::from_config("status-is", &Value::Null).unwrap_err();
        assert_eq!(
            err.0,
            "status-is needs an expected value, got nothing (null)"
        );
        let err = Check::from_config("body-contains", &json!(1.5)).unwrap_err();
        assert!(err.0.contains("got the decimal number 1.5"), "{err}");
    }

    #[test]
    fn request_url_is_plain_http_only_for_http_to_https() {
        let url = url::Url::parse("https://example.org:8443/a?b").unwrap();
        let c = Check::parse("http-to-https", r#"{"value": 301}"#).unwrap();
        assert_eq!(c.request_url(&url).as_str(), "http://example.org:8443/a?b");
        let c = Check::parse("status-is", "200").unwrap();
        assert_eq!(c.request_url(&url), url);
    }
}

//! Every check type an agent can run, one file each, dispatched by the [`Check`] enum.
//!
//! A check is named as in the Argos Panoptès config (`status-is`, `json-has`, ...) and carries
//! its parsed expectation. The stored (and wire) form is the pair *(name, expected string)*:
//! [`Check::parse`] reads it, [`Check::expected`] writes the canonical string back. Parsing
//! is strict: a bad expectation is an [`Invalid`] at config load, never a surprise at run time
//! (the reference only found out when the agent ran the check).
//!
//! Each check needs one kind of probe ([`Check::probe_kind`]): an HTTP request, a TCP connect
//! or a DNS lookup. Tasks are grouped by the probe they need, so a `dns-resolves` on an https
//! site never triggers (nor waits for) the HTTP request, and a `tcp://` site never speaks HTTP.
//!
//! Evaluating a check never fails: [`Check::evaluate`] turns what the probe found into an
//! [`Outcome`], which may be a failure or an error. Every failure carries a machine-readable
//! `reason` (the probe's, such as `timeout` or `tls-expired`, or `http-status`, `slow`,
//! `expectation` when the answer did not meet the expectation) and a `detail` sentence.
//!
//! To add a check type: write `kind/<name>.rs` with a payload type (`TryFrom<String>`,
//! `From<_> for String`, `expected`, `evaluate`) and its tests, then add a variant to
//! [`Check`]. Everything else follows from the variant or is an arm the compiler asks for:
//! the name is the variant's, in kebab-case, for serde and for [`Kind`] alike (there is no
//! list of names to keep in step); [`Kind::traits`] says in one arm which probe the check
//! needs, how its failures are graded and how its config value is read; and the dispatching
//! `match`es below get one arm each.

mod expected;
mod json_doc;

pub mod body_contains;
pub mod body_like;
pub mod body_not_contains;
pub mod dns_resolves;
pub mod headers_contain;
pub mod headers_have;
pub mod headers_like;
pub mod http_to_https;
pub mod json_contains;
pub mod json_has;
pub mod json_is;
pub mod json_like;
pub mod port_open;
pub mod redirects_to;
pub mod response_time;
pub mod ssl_certificate_expiration;
pub mod status_in;
pub mod status_is;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use expected::Pattern;

use crate::Outcome;
use crate::probe::{Answer, Fetched};
use crate::wire::Status;

mod traits;
pub use traits::{Grading, Traits};

/// A check and its parsed expectation. Serialised as `{"check": name, "expected": string}`.
/// Its [`Kind`] (the variant without its payload) is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "check", content = "expected", rename_all = "kebab-case")]
#[strum_discriminants(
    name(Kind),
    derive(
        Hash,
        strum::IntoStaticStr,
        strum::EnumString,
        strum::VariantArray,
        strum::VariantNames
    ),
    strum(serialize_all = "kebab-case"),
    doc = "A check type without its expectation: what is known of a task from its check name alone.",
    allow(missing_docs)
)]
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
    ResponseTime(response_time::ResponseTime),
    RedirectsTo(redirects_to::RedirectsTo),
    BodyNotContains(body_not_contains::BodyNotContains),
    PortOpen(port_open::PortOpen),
    DnsResolves(dns_resolves::DnsResolves),
}

/// What a check needs done to be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// An HTTP(S) request.
    Http,
    /// A TCP connection to the URL's port.
    Tcp,
    /// A DNS lookup of the URL's host.
    Dns,
}

impl ProbeKind {
    /// The probe a check of this name needs. It only needs the name, so a task whose
    /// expectation does not parse still lands in the right group (and gets its `error`
    /// there); an unknown name is grouped as HTTP, where it gets its `error` too.
    pub fn of(check: &str) -> ProbeKind {
        Kind::parse(check).map_or(ProbeKind::Http, |k| k.traits().probe)
    }
}

/// A check name or expectation that cannot be used. The message says what was expected and
/// what was got.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Check {
    /// The config names: the reference's, in its order, then ours (the variants' order).
    pub const NAMES: &'static [&'static str] = <Kind as strum::VariantNames>::VARIANTS;

    /// Parses the stored (or wire) pair: a check name and its expected string.
    ///
    /// # Errors
    /// An unknown name (the message lists the valid ones) or an expectation the check cannot use.
    pub fn parse(name: &str, expected: &str) -> Result<Check, Invalid> {
        // Checked first so the message lists the names; serde's would use its own wording.
        Kind::parse(name).ok_or_else(|| unknown(name))?;
        serde_json::from_value(json!({"check": name, "expected": expected}))
            .map_err(|e| Invalid(e.to_string()))
    }

    /// Parses a check from its config value (YAML already converted to JSON), normalising the
    /// value into the expected string first (reference §1.8, made strict).
    ///
    /// # Errors
    /// An unknown name, a value of the wrong shape, or an expectation the check cannot use.
    pub fn from_config(name: &str, value: &Value) -> Result<Check, Invalid> {
        let kind = Kind::parse(name).ok_or_else(|| unknown(name))?;
        let expected = (kind.traits().normalise)(kind, value)?;
        Check::parse(name, &expected)
    }

    /// The config name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The check type.
    pub fn kind(&self) -> Kind {
        Kind::from(self)
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
            Check::ResponseTime(c) => c.expected(),
            Check::RedirectsTo(c) => c.expected(),
            Check::BodyNotContains(c) => c.expected(),
            Check::PortOpen(c) => c.expected(),
            Check::DnsResolves(c) => c.expected(),
        }
    }

    /// The probe this check needs.
    pub fn probe_kind(&self) -> ProbeKind {
        self.kind().traits().probe
    }

    /// The URL actually requested for a task on `url`: the same URL with scheme `http` for
    /// `http-to-https` (an explicit port is kept, as in the reference), otherwise `url`.
    pub fn request_url(&self, url: &url::Url) -> url::Url {
        if self.kind().traits().plain_http {
            http_to_https::plain_http(url)
        } else {
            url.clone()
        }
    }

    /// Evaluates the check against what its probe found: a failed probe is the check's
    /// failure (except for `port-open`, which judges the attempt). Never panics.
    pub fn evaluate(&self, answer: &Answer) -> Outcome {
        let outcome = match (self, answer) {
            (Check::PortOpen(c), Answer::Tcp(attempt)) => c.evaluate(attempt),
            (_, Answer::Http(Err(e)) | Answer::Tcp(Err(e)) | Answer::Dns(Err(e))) => e.to_outcome(),
            (Check::DnsResolves(c), Answer::Dns(Ok(resolved))) => c.evaluate(resolved),
            (_, Answer::Http(Ok(fetched))) => self.evaluate_http(fetched),
            _ => mismatch(self),
        };
        self.explain(outcome)
    }

    fn evaluate_http(&self, fetched: &Fetched) -> Outcome {
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
            Check::ResponseTime(c) => c.evaluate(fetched),
            Check::RedirectsTo(c) => c.evaluate(fetched),
            Check::BodyNotContains(c) => c.evaluate(fetched),
            Check::PortOpen(_) | Check::DnsResolves(_) => mismatch(self),
        }
    }

    /// A failure without a `reason` is an expectation not met: say which kind.
    fn explain(&self, outcome: Outcome) -> Outcome {
        if outcome.status != Status::Failure || outcome.context.contains_key("reason") {
            return outcome;
        }
        outcome.with("reason", self.kind().traits().failure.as_str())
    }
}

/// A probe of the wrong kind reached a check: a bug in grouping, reported rather than hidden.
fn mismatch(check: &Check) -> Outcome {
    Outcome::error(
        "InternalError",
        format!(
            "{} needs a {:?} probe, and got another kind",
            check.name(),
            check.probe_kind()
        ),
    )
}

fn unknown(name: &str) -> Invalid {
    Invalid(format!(
        "unknown check {name:?} (valid checks: {})",
        Check::NAMES.join(", ")
    ))
}

/// Reference §1.8 for most checks: the expected value becomes a string. Unlike the
/// reference, a bool is `true`/`false` (not Python's `True`).
fn normalise(kind: Kind, value: &Value) -> Result<String, Invalid> {
    let name = kind.name();
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
            err.ends_with("ssl-certificate-expiration, response-time, redirects-to, body-not-contains, port-open, dns-resolves)"),
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
            (
                "response-time",
                r#"{"critical_ms": 2000, "warning_ms": 500}"#,
            ),
            ("redirects-to", "https://example.org/new"),
            ("body-not-contains", "Fatal error"),
            ("port-open", "true"),
            ("dns-resolves", r#"["192.0.2.1", "2001:db8::1"]"#),
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
    fn new_checks_read_their_config_forms() {
        let c = Check::from_config(
            "response-time",
            &json!({"warning": "500ms", "critical": "2s"}),
        );
        assert_eq!(
            c.unwrap().expected(),
            r#"{"critical_ms": 2000, "warning_ms": 500}"#
        );
        let c = Check::from_config("port-open", &json!(false)).unwrap();
        assert_eq!(c.expected(), "false");
        let c = Check::from_config("dns-resolves", &json!(["192.0.2.1"])).unwrap();
        assert_eq!(c.expected(), r#"["192.0.2.1"]"#);
        let c = Check::from_config("dns-resolves", &json!(true)).unwrap();
        assert_eq!(c.expected(), "true");
    }

    #[test]
    fn each_check_names_its_probe() {
        let kind = |name: &str, expected: &str| Check::parse(name, expected).unwrap().probe_kind();
        assert_eq!(kind("port-open", "true"), ProbeKind::Tcp);
        assert_eq!(kind("dns-resolves", "true"), ProbeKind::Dns);
        assert_eq!(
            kind("response-time", r#"{"warning_ms": 1}"#),
            ProbeKind::Http
        );
        assert_eq!(ProbeKind::of("status-iz"), ProbeKind::Http);
    }

    #[test]
    fn failures_get_a_reason_and_probe_failures_keep_theirs() {
        use crate::probe::FetchError;
        let status = Check::parse("status-is", "200").unwrap();
        let out = status.evaluate(&Answer::Http(Ok(Fetched::test(503, &[], b""))));
        assert_eq!(out.context["reason"], "http-status");
        let body = Check::parse("body-contains", "x").unwrap();
        let out = body.evaluate(&Answer::Http(Ok(Fetched::test(200, &[], b""))));
        assert_eq!(out.context["reason"], "expectation");
        let failed = Answer::Http(Err(FetchError::new(
            crate::Reason::TlsExpired,
            "expired".into(),
        )));
        let out = body.evaluate(&failed);
        assert_eq!(
            (out.status, &out.context["reason"]),
            (Status::Failure, &json!("tls-expired"))
        );
        let ok = body.evaluate(&Answer::Http(Ok(Fetched::test(200, &[], b"x"))));
        assert!(!ok.context.contains_key("reason"));
    }

    #[test]
    fn a_probe_of_the_wrong_kind_is_an_error_not_a_panic() {
        let dns = Check::parse("dns-resolves", "true").unwrap();
        let out = dns.evaluate(&Answer::Http(Ok(Fetched::test(200, &[], b""))));
        assert_eq!(
            (out.status, &out.context["error_type"]),
            (Status::Error, &json!("InternalError"))
        );
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

//! `http-to-https`: the plain-HTTP URL redirects to HTTPS.
//!
//! The agent requests the task URL with its scheme changed to `http` (an explicit port is
//! kept, as in the reference). Unlike the reference, which only looked at the status code, the
//! check also requires a `Location` header that, resolved against the requested URL, is an
//! `https` URL. Any host will do by default (`http://example.org` → `https://www.example.org`
//! is common, and passed under the Python tool); `same_host: true` also requires the host of
//! the URL checked.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "http-to-https";

const DEFAULT_RANGE: (u16, u16) = (300, 400);
const CONFIG_FORMS: &str = "true, a redirect status code (300-399), a list of status codes \
                            or a map {start, stop} (a map may add same_host: true)";
const STORED_FORMS: &str = r#"{"range": [start, stop]}, {"value": code} or {"list": [codes]}, optionally with "same_host": true"#;
const SAME_HOST: &str = "same_host";

/// The accepted redirect, and whether it must stay on the host checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpToHttps {
    codes: Codes,
    same_host: bool,
}

/// The accepted redirect status codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    /// `start <= status < stop`; `true` in the config means `300..400`.
    Range(u16, u16),
    /// Exactly this code (300-399).
    Value(u16),
    /// One of these codes.
    List(Vec<u16>),
}

impl HttpToHttps {
    /// The canonical expected string: `{"range": [a, b]}`, `{"value": n}` or `{"list": [...]}`,
    /// with `"same_host": true` when asked (keys in order, as Python's `sort_keys`).
    pub fn expected(&self) -> String {
        let (key, codes) = match &self.codes {
            Codes::Range(a, b) => ("range", json!([a, b])),
            Codes::Value(n) => ("value", json!(n)),
            Codes::List(codes) => ("list", json!(codes)),
        };
        let mut entries = vec![(key, codes)];
        if self.same_host {
            entries.push((SAME_HOST, json!(true)));
        }
        entries.sort_by_key(|(k, _)| *k);
        let map: Map<String, Value> = entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        // Built in key order, so the text is the same with or without serde_json's
        // `preserve_order`.
        expected::python_json(&Value::Object(map))
    }

    /// Whether `status` is one of the accepted codes.
    pub fn accepts(&self, status: u16) -> bool {
        match &self.codes {
            Codes::Range(a, b) => (*a..*b).contains(&status),
            Codes::Value(n) => status == *n,
            Codes::List(codes) => codes.contains(&status),
        }
    }

    /// Passes when the status is accepted and `Location` points to HTTPS (on the same host,
    /// with `same_host`). Context: `{expected, retrieved: status, location}` (`location` as
    /// sent, or null). It judges the first answer, also when the path follows redirects.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let (status, location) = fetched.first_answer();
        let ctx = context(json!({
            "expected": self.expected(),
            "retrieved": status,
            "location": location,
        }));
        let problem = if !self.accepts(status) {
            Some(format!("status {status} is not an expected redirect"))
        } else {
            location_problem(&fetched.url, location.as_deref(), self.same_host)
        };
        verdict(problem, ctx)
    }
}

/// Why `location` is not a redirect to HTTPS (on the host of `requested`, with `same_host`).
fn location_problem(
    requested: &url::Url,
    location: Option<&str>,
    same_host: bool,
) -> Option<String> {
    let Some(location) = location else {
        return Some("the response has no Location header".to_owned());
    };
    let target = match requested.join(location) {
        Ok(target) => target,
        Err(e) => {
            return Some(format!(
                "the Location header {location:?} is not a URL: {e}"
            ));
        }
    };
    if target.scheme() != "https" {
        return Some(format!("the redirect goes to {target}, which is not HTTPS"));
    }
    if same_host && target.host_str() != requested.host_str() {
        return Some(format!(
            "the redirect goes to another host ({}), not {}",
            target.host_str().unwrap_or(""),
            requested.host_str().unwrap_or("")
        ));
    }
    None
}

/// `url` with scheme `http`; the port, if explicit, is kept.
pub(crate) fn plain_http(url: &url::Url) -> url::Url {
    let mut plain = url.clone();
    // Only fails between special and non-special schemes; task URLs are http(s) already.
    if plain.set_scheme("http").is_err() {
        return url.clone();
    }
    plain
}

/// The config value (reference §1.8, made strict) as the stored expected string.
pub(crate) fn normalise(value: &Value) -> Result<String, Invalid> {
    let text = value.to_string();
    let parsed = match value {
        Value::Bool(true) => HttpToHttps::any(Codes::Range(DEFAULT_RANGE.0, DEFAULT_RANGE.1)),
        Value::Number(_) => HttpToHttps::any(Codes::Value(redirect_code(value)?)),
        Value::Array(_) => from_stored(&json!({"list": value}), &text)?,
        Value::Object(map) if map.is_empty() => {
            return Err(expected::expects(NAME, CONFIG_FORMS, &text));
        }
        Value::Object(map) => {
            let mut codes = map.clone();
            let same_host = take_same_host(&mut codes, &text)?;
            let codes = config_codes(&codes, &text)?;
            HttpToHttps { codes, same_host }
        }
        _ => return Err(expected::expects(NAME, CONFIG_FORMS, &text)),
    };
    Ok(parsed.expected())
}

/// The codes of a config map (without `same_host`): `{start, stop}`, a stored form, or
/// nothing (the default range).
fn config_codes(map: &Map<String, Value>, text: &str) -> Result<Codes, Invalid> {
    if map.is_empty() {
        return Ok(Codes::Range(DEFAULT_RANGE.0, DEFAULT_RANGE.1));
    }
    if !(map.contains_key("start") || map.contains_key("stop")) {
        return codes_of(map, text);
    }
    match (map.get("start"), map.get("stop"), map.len()) {
        (Some(start), Some(stop), 2) => codes_of(
            json!({"range": [start, stop]})
                .as_object()
                .expect("an object"),
            text,
        ),
        _ => Err(expected::expects(
            NAME,
            "a map with exactly start and stop",
            text,
        )),
    }
}

/// Removes `same_host` from `map`: absent is false, otherwise a boolean.
fn take_same_host(map: &mut Map<String, Value>, text: &str) -> Result<bool, Invalid> {
    match map.remove(SAME_HOST) {
        None | Some(Value::Bool(false)) => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(_) => Err(expected::expects(NAME, "same_host: true or false", text)),
    }
}

impl HttpToHttps {
    /// `codes`, to any host.
    fn any(codes: Codes) -> HttpToHttps {
        HttpToHttps {
            codes,
            same_host: false,
        }
    }
}

fn redirect_code(value: &Value) -> Result<u16, Invalid> {
    match value.as_u64() {
        Some(n @ 300..=399) => Ok(n as u16), // in range, cannot truncate
        _ => Err(expected::expects(
            NAME,
            "a redirect status code (300-399)",
            &value.to_string(),
        )),
    }
}

/// Parses one of the stored forms; `text` is what the user wrote, for messages.
fn from_stored(value: &Value, text: &str) -> Result<HttpToHttps, Invalid> {
    let Value::Object(map) = value else {
        return Err(expected::expects(NAME, STORED_FORMS, text));
    };
    let mut codes = map.clone();
    let same_host = take_same_host(&mut codes, text)?;
    Ok(HttpToHttps {
        codes: codes_of(&codes, text)?,
        same_host,
    })
}

/// The one `range`, `value` or `list` entry of `map`.
fn codes_of(map: &Map<String, Value>, text: &str) -> Result<Codes, Invalid> {
    let bad = || expected::expects(NAME, STORED_FORMS, text);
    let mut entries = map.iter();
    let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
        return Err(bad());
    };
    match (key.as_str(), inner) {
        ("value", _) => Ok(Codes::Value(redirect_code(inner)?)),
        ("list", Value::Array(items)) if !items.is_empty() => {
            let codes = items.iter().map(|v| expected::status_code(NAME, v));
            Ok(Codes::List(codes.collect::<Result<_, _>>()?))
        }
        ("range", Value::Array(ends)) if ends.len() == 2 => {
            let start = expected::status_code(NAME, &ends[0])?;
            let stop = ends[1]
                .as_u64()
                .filter(|n| (101..=600).contains(n))
                .ok_or_else(bad)?;
            if u64::from(start) >= stop {
                return Err(expected::expects(
                    NAME,
                    "a range whose start is below its stop",
                    text,
                ));
            }
            Ok(Codes::Range(start, stop as u16)) // at most 600, cannot truncate
        }
        _ => Err(bad()),
    }
}

impl TryFrom<String> for HttpToHttps {
    type Error = Invalid;

    fn try_from(text: String) -> Result<HttpToHttps, Invalid> {
        let value = expected::json(NAME, STORED_FORMS, &text)?;
        from_stored(&value, &text)
    }
}

impl From<HttpToHttps> for String {
    fn from(check: HttpToHttps) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn norm(value: Value) -> Result<String, Invalid> {
        normalise(&value)
    }

    #[test]
    fn config_forms_normalise_to_stored_forms() {
        assert_eq!(norm(json!(true)).unwrap(), r#"{"range": [300, 400]}"#);
        assert_eq!(norm(json!(301)).unwrap(), r#"{"value": 301}"#);
        assert_eq!(norm(json!([301, 308])).unwrap(), r#"{"list": [301, 308]}"#);
        assert_eq!(
            norm(json!({"start": 301, "stop": 303})).unwrap(),
            r#"{"range": [301, 303]}"#
        );
        assert_eq!(
            norm(json!({"range": [300, 310]})).unwrap(),
            r#"{"range": [300, 310]}"#
        );
        assert_eq!(norm(json!({"value": 302})).unwrap(), r#"{"value": 302}"#);
        assert_eq!(norm(json!({"list": [307]})).unwrap(), r#"{"list": [307]}"#);
        // The same-host form: any accepted form plus `same_host: true`.
        assert_eq!(
            norm(json!({"same_host": true})).unwrap(),
            r#"{"range": [300, 400], "same_host": true}"#
        );
        assert_eq!(
            norm(json!({"start": 301, "stop": 303, "same_host": true})).unwrap(),
            r#"{"range": [301, 303], "same_host": true}"#
        );
        assert_eq!(
            norm(json!({"value": 301, "same_host": true})).unwrap(),
            r#"{"same_host": true, "value": 301}"#
        );
        assert_eq!(
            norm(json!({"list": [301], "same_host": false})).unwrap(),
            r#"{"list": [301]}"#
        );
        assert!(norm(json!({"same_host": "yes"})).is_err());
        assert!(norm(json!({})).is_err());
    }

    #[test]
    fn anything_else_is_rejected() {
        let err = norm(json!("301")).unwrap_err().0;
        assert_eq!(
            err,
            format!("http-to-https expects {CONFIG_FORMS}, got \"\\\"301\\\"\"")
        );
        assert!(norm(json!(false)).unwrap_err().0.contains("got \"false\""));
        let err = norm(json!(200)).unwrap_err().0;
        assert_eq!(
            err,
            r#"http-to-https expects a redirect status code (300-399), got "200""#
        );
        let err = norm(json!({"start": 300})).unwrap_err().0;
        assert!(err.contains("a map with exactly start and stop"), "{err}");
        assert!(
            norm(json!({"start": 310, "stop": 300}))
                .unwrap_err()
                .0
                .contains("start is below")
        );
        assert!(norm(json!([])).is_err());
        assert!(norm(json!({"range": [300, 400], "value": 301})).is_err());
        assert!(norm(Value::Null).is_err());
        assert!(HttpToHttps::try_from("true".to_owned()).is_err());
    }

    #[test]
    fn stored_forms_round_trip() {
        for text in [
            r#"{"range": [300, 400]}"#,
            r#"{"value": 301}"#,
            r#"{"list": [301, 302]}"#,
            r#"{"range": [300, 400], "same_host": true}"#,
        ] {
            assert_eq!(
                HttpToHttps::try_from(text.to_owned()).unwrap().expected(),
                text
            );
        }
    }

    fn redirect(status: u16, location: Option<&str>) -> Fetched {
        let headers: Vec<(&str, &str)> = location.map(|l| ("location", l)).into_iter().collect();
        let mut f = Fetched::test(status, &headers, b"");
        f.url = url::Url::parse("http://example.org:8080/path").unwrap();
        f
    }

    #[test]
    fn passes_on_a_redirect_to_https_on_the_same_host() {
        let check = HttpToHttps::any(Codes::Range(300, 400));
        let out = check.evaluate(&redirect(301, Some("https://example.org/path")));
        assert_eq!(out.status, Status::Success, "{:?}", out.context);
        assert_eq!(
            out.context,
            context(json!({
                "expected": r#"{"range": [300, 400]}"#,
                "retrieved": 301,
                "location": "https://example.org/path",
            }))
        );
        // Another port is fine (HTTPS rarely shares the HTTP port): only scheme and host matter.
        let out = check.evaluate(&redirect(308, Some("https://example.org:8443/")));
        assert_eq!(out.status, Status::Success);
    }

    #[test]
    fn fails_for_the_right_reason() {
        let check = HttpToHttps::any(Codes::Value(301));
        let detail = |f: Fetched| {
            let out = check.evaluate(&f);
            assert_eq!(out.status, Status::Failure);
            out.context["detail"].as_str().unwrap().to_owned()
        };
        assert_eq!(
            detail(redirect(302, Some("https://example.org/"))),
            "status 302 is not an expected redirect"
        );
        assert_eq!(
            detail(redirect(301, None)),
            "the response has no Location header"
        );
        assert!(detail(redirect(301, Some("/elsewhere"))).contains("not HTTPS"));
        assert!(detail(redirect(301, Some("http://example.org/"))).contains("not HTTPS"));
        assert!(detail(redirect(301, Some("https://[::1"))).contains("is not a URL"));
    }

    #[test]
    fn another_host_passes_unless_same_host_is_asked() {
        // http://example.org → https://www.example.org is common, and passed under the
        // Python tool (which checks the status only).
        let any = HttpToHttps::try_from(r#"{"value": 301}"#.to_owned()).unwrap();
        let out = any.evaluate(&redirect(301, Some("https://www.example.org/")));
        assert_eq!(out.status, Status::Success, "{:?}", out.context);
        let same =
            HttpToHttps::try_from(r#"{"same_host": true, "value": 301}"#.to_owned()).unwrap();
        let out = same.evaluate(&redirect(301, Some("https://www.example.org/")));
        assert_eq!(out.status, Status::Failure);
        assert!(
            out.context["detail"]
                .as_str()
                .unwrap()
                .contains("another host (www.example.org)"),
            "{:?}",
            out.context
        );
        let out = same.evaluate(&redirect(301, Some("https://example.org/")));
        assert_eq!(out.status, Status::Success, "{:?}", out.context);
    }

    #[test]
    fn plain_http_keeps_an_explicit_port() {
        let url = url::Url::parse("https://h.test:8443/x").unwrap();
        assert_eq!(plain_http(&url).as_str(), "http://h.test:8443/x");
        let url = url::Url::parse("https://h.test/x").unwrap();
        assert_eq!(plain_http(&url).as_str(), "http://h.test/x");
    }
}

//! Reading and writing expected strings, shared by several checks: JSON text with Python's
//! separators, status codes, header names, JSON pointers and compiled regexes.
//!
//! Every error names the check, says what was expected and shows what was got.

use std::fmt;
use std::io;

use serde_json::Value;
use serde_json::ser::{Formatter, Serializer};

use super::Invalid;

/// A regex compiled at parse time, compared by its source text.
#[derive(Clone)]
pub struct Pattern {
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles `text` for `check`.
    ///
    /// # Errors
    /// When the regex does not compile; the message names the regex and the compile error.
    pub fn new(check: &str, text: &str) -> Result<Pattern, Invalid> {
        regex::Regex::new(text)
            .map(|regex| Pattern { regex })
            .map_err(|e| Invalid(format!("{check}: invalid regex {text:?}: {e}")))
    }

    /// The regex source.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    /// Unanchored search, as Python's `re.search`.
    pub fn is_match(&self, haystack: &str) -> bool {
        self.regex.is_match(haystack)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.as_str())
    }
}

/// `json.dumps` separators: `", "` between items and `": "` after keys.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// JSON text as Python's `json.dumps` spaces it (non-ASCII is kept as UTF-8).
pub(crate) fn python_json(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = Serializer::with_formatter(&mut out, PythonFormatter);
    serde::Serialize::serialize(value, &mut ser).expect("writing JSON to a Vec cannot fail");
    // Invariant: serde_json only writes UTF-8.
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// `text` shortened for an error message.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// Parses `text` as JSON, or says that `check` expects `what`.
pub(crate) fn json(check: &str, what: &str, text: &str) -> Result<Value, Invalid> {
    serde_json::from_str(text).map_err(|_| expects(check, what, text))
}

/// `"<check> expects <what>, got <text>"`.
pub(crate) fn expects(check: &str, what: &str, text: &str) -> Invalid {
    Invalid(format!("{check} expects {what}, got {}", shown(text)))
}

/// An HTTP status code (100-599) from a JSON value.
pub(crate) fn status_code(check: &str, value: &Value) -> Result<u16, Invalid> {
    value
        .as_u64()
        .filter(|n| (100..=599).contains(n))
        .map(|n| n as u16) // in range, cannot truncate
        .ok_or_else(|| expects(check, "an HTTP status code (100-599)", &value.to_string()))
}

/// A non-empty JSON list.
pub(crate) fn list(check: &str, what: &str, text: &str) -> Result<Vec<Value>, Invalid> {
    match json(check, what, text)? {
        Value::Array(items) if !items.is_empty() => Ok(items),
        _ => Err(expects(check, what, text)),
    }
}

/// A non-empty JSON map, as (key, value) pairs in key order.
pub(crate) fn map(check: &str, what: &str, text: &str) -> Result<Vec<(String, Value)>, Invalid> {
    match json(check, what, text)? {
        Value::Object(m) if !m.is_empty() => {
            let mut pairs: Vec<_> = m.into_iter().collect();
            // Sorted so the canonical text does not depend on serde_json's map features.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(pairs)
        }
        _ => Err(expects(check, what, text)),
    }
}

/// A JSON string value, or an error saying what `key` should hold.
pub(crate) fn string<'v>(
    check: &str,
    key: &str,
    what: &str,
    value: &'v Value,
) -> Result<&'v str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid(format!("{check} expects {what} for {key:?}, got {}", value)))
}

/// A valid HTTP header name (RFC 9110 token), kept as written.
pub(crate) fn header_name(check: &str, name: &str) -> Result<String, Invalid> {
    match reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
        Ok(_) => Ok(name.to_owned()),
        Err(_) => Err(expects(check, "valid HTTP header names", name)),
    }
}

/// An RFC 6901 JSON pointer: empty, or `/`-separated with `~` only in `~0` and `~1`.
pub(crate) fn pointer(check: &str, text: &str) -> Result<String, Invalid> {
    let bad_tilde = text
        .match_indices('~')
        .any(|(i, _)| !matches!(text.as_bytes().get(i + 1), Some(b'0' | b'1')));
    if (text.is_empty() || text.starts_with('/')) && !bad_tilde {
        Ok(text.to_owned())
    } else {
        Err(expects(
            check,
            r#"JSON pointers (RFC 6901: "" or starting with "/")"#,
            text,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_separators() {
        let v = json!({"a": [1, "x", {"b": null}], "c": 1.5});
        assert_eq!(python_json(&v), r#"{"a": [1, "x", {"b": null}], "c": 1.5}"#);
        assert_eq!(python_json(&json!([])), "[]");
        assert_eq!(python_json(&json!("é\"")), r#""é\"""#);
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        for ok in ["", "/", "/a/0", "/a~1b", "/~0"] {
            assert_eq!(pointer("json-contains", ok).unwrap(), ok);
        }
        for bad in ["a", "/a~2", "/a~"] {
            let err = pointer("json-contains", bad).unwrap_err().0;
            assert!(
                err.starts_with("json-contains expects JSON pointers"),
                "{err}"
            );
        }
    }

    #[test]
    fn patterns_compare_by_text_and_report_errors() {
        assert_eq!(
            Pattern::new("body-like", "a+").unwrap(),
            Pattern::new("x", "a+").unwrap()
        );
        let err = Pattern::new("body-like", "a(").unwrap_err().0;
        assert!(
            err.starts_with(r#"body-like: invalid regex "a(": "#),
            "{err}"
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(200);
        assert_eq!(shown(&long).chars().count(), 83);
    }
}

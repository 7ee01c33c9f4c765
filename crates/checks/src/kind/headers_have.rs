//! `headers-have`: named response headers have exact values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "headers-have";

const WHAT: &str = r#"a map of header names to values, e.g. {"x-frame-options": "DENY"}"#;

/// Passes when every named header is present with exactly the given value (case-sensitive;
/// repeated headers are joined with `", "`). Expected string: a JSON map name → value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HeadersHave {
    headers: Vec<(String, String)>,
}

impl HeadersHave {
    /// (name, value) pairs in name order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        let map: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        expected::python_json(&Value::Object(map))
    }

    /// Context: `{expected, retrieved: map of the response headers}`, plus `detail` on failure.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let problem = self
            .headers
            .iter()
            .find_map(|(name, want)| match fetched.header(name) {
                None => Some(format!("header {name:?} is missing")),
                Some(got) if got != *want => {
                    Some(format!("header {name:?} is {got:?}, not {want:?}"))
                }
                Some(_) => None,
            });
        let ctx = context(json!({"expected": self.expected(), "retrieved": fetched.header_map()}));
        verdict(problem, ctx)
    }
}

impl TryFrom<String> for HeadersHave {
    type Error = Invalid;

    fn try_from(text: String) -> Result<HeadersHave, Invalid> {
        let headers = expected::map(NAME, WHAT, &text)?
            .iter()
            .map(|(name, value)| {
                let value = expected::string(NAME, name, "a string value", value)?;
                Ok((expected::header_name(NAME, name)?, value.to_owned()))
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(HeadersHave { headers })
    }
}

impl From<HeadersHave> for String {
    fn from(check: HeadersHave) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<HeadersHave, Invalid> {
        HeadersHave::try_from(text.to_owned())
    }

    #[test]
    fn parses_a_map_of_strings() {
        let check = parse(r#"{"X-B":"2","x-a":"1"}"#).unwrap();
        assert_eq!(check.expected(), r#"{"X-B": "2", "x-a": "1"}"#);
        assert_eq!(
            parse(r#"{"x-a": 1}"#).unwrap_err().0,
            r#"headers-have expects a string value for "x-a", got 1"#
        );
        assert!(parse("{}").is_err());
        assert!(parse(r#"["x-a"]"#).is_err());
        assert!(parse(r#"{"a b": "c"}"#).is_err());
    }

    #[test]
    fn compares_values_exactly() {
        let check = parse(r#"{"Cache-Control": "no-cache, private"}"#).unwrap();
        let joined = Fetched::test(
            200,
            &[("cache-control", "no-cache"), ("cache-control", "private")],
            b"",
        );
        let out = check.evaluate(&joined);
        assert_eq!(out.status, Status::Success);
        assert_eq!(
            out.context["retrieved"],
            json!({"cache-control": "no-cache, private"})
        );
        let out = check.evaluate(&Fetched::test(
            200,
            &[("cache-control", "No-Cache, private")],
            b"",
        ));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(
            out.context["detail"],
            r#"header "Cache-Control" is "No-Cache, private", not "no-cache, private""#
        );
        let out = check.evaluate(&Fetched::test(200, &[], b""));
        assert_eq!(
            out.context["detail"],
            r#"header "Cache-Control" is missing"#
        );
    }
}

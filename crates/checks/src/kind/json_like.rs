//! `json-like`: JSON pointers in the response body hold strings matching regexes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Invalid, Pattern, expected, json_doc, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "json-like";

const WHAT: &str = r#"a map of JSON pointers to regexes, e.g. {"/version": "^2\\."}"#;

/// Passes when the body is JSON and every pointer resolves to a string in which its regex
/// matches (unanchored). A non-string value is a failure that says so (the reference raised
/// a TypeError, giving `error`). Expected string: a JSON map pointer → regex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonLike {
    patterns: Vec<(String, Pattern)>,
}

impl JsonLike {
    /// (pointer, regex) pairs in pointer order.
    pub fn patterns(&self) -> &[(String, Pattern)] {
        &self.patterns
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        let map: Map<String, Value> = self
            .patterns
            .iter()
            .map(|(p, re)| (p.clone(), json!(re.as_str())))
            .collect();
        expected::python_json(&Value::Object(map))
    }

    /// Context: `{expected, retrieved: the body}`, plus `detail` on failure; a non-JSON body
    /// is an `error`.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let body = match json_doc::body(fetched) {
            Ok(body) => body,
            Err(out) => return out,
        };
        let problem = self
            .patterns
            .iter()
            .find_map(|(p, re)| match body.pointer(p) {
                None => Some(format!("{p:?} is not in the document")),
                Some(Value::String(s)) if re.is_match(s) => None,
                Some(Value::String(s)) => Some(format!(
                    "{p:?} is {s:?}, which does not match {:?}",
                    re.as_str()
                )),
                Some(other) => Some(format!(
                    "{p:?} is {}, not a string: {other}",
                    json_doc::type_name(other)
                )),
            });
        verdict(problem, json_doc::context(self.expected(), body, fetched))
    }
}

impl TryFrom<String> for JsonLike {
    type Error = Invalid;

    fn try_from(text: String) -> Result<JsonLike, Invalid> {
        let patterns = expected::map(NAME, WHAT, &text)?
            .iter()
            .map(|(p, v)| {
                let regex = expected::string(NAME, p, "a regex string", v)?;
                Ok((expected::pointer(NAME, p)?, Pattern::new(NAME, regex)?))
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(JsonLike { patterns })
    }
}

impl From<JsonLike> for String {
    fn from(check: JsonLike) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<JsonLike, Invalid> {
        JsonLike::try_from(text.to_owned())
    }

    #[test]
    fn parses_and_compiles() {
        assert_eq!(
            parse(r#"{"/v":"^2\\."}"#).unwrap().expected(),
            r#"{"/v": "^2\\."}"#
        );
        assert!(
            parse(r#"{"/v": "("}"#)
                .unwrap_err()
                .0
                .starts_with(r#"json-like: invalid regex "(""#)
        );
        assert_eq!(
            parse(r#"{"/v": 2}"#).unwrap_err().0,
            r#"json-like expects a regex string for "/v", got 2"#
        );
    }

    #[test]
    fn matches_strings_and_explains_the_rest() {
        let check = parse(r#"{"/version": "^2\\.[0-9]+"}"#).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"version": "2.10.1"}"#));
        assert_eq!(out.status, Status::Success);
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"version": 2.1}"#));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(
            out.context["detail"],
            r#""/version" is a number, not a string: 2.1"#
        );
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"version": "1.0"}"#));
        assert_eq!(
            out.context["detail"],
            r#""/version" is "1.0", which does not match "^2\\.[0-9]+""#
        );
    }
}

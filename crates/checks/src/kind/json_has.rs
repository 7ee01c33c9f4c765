//! `json-has`: JSON pointers in the response body have given values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Invalid, expected, json_doc, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "json-has";

const WHAT: &str = r#"a map of JSON pointers to values, e.g. {"/status": "ok"}"#;

/// Passes when the body is JSON and every pointer resolves to a value equal to the expected
/// one. Equality is strict JSON (`1` is not `true`, fixing the reference) but numeric
/// (`1 == 1.0`). Expected string: a JSON map pointer → value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonHas {
    values: Vec<(String, Value)>,
}

impl JsonHas {
    /// (pointer, value) pairs in pointer order.
    pub fn values(&self) -> &[(String, Value)] {
        &self.values
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        let map: Map<String, Value> = self.values.iter().cloned().collect();
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
            .values
            .iter()
            .find_map(|(p, want)| match body.pointer(p) {
                None => Some(format!("{p:?} is not in the document")),
                Some(got) if !json_doc::same(got, want) => {
                    Some(format!("{p:?} is {got}, not {want}"))
                }
                Some(_) => None,
            });
        verdict(problem, json_doc::context(self.expected(), body, fetched))
    }
}

impl TryFrom<String> for JsonHas {
    type Error = Invalid;

    fn try_from(text: String) -> Result<JsonHas, Invalid> {
        let values = expected::map(NAME, WHAT, &text)?
            .into_iter()
            .map(|(p, v)| Ok((expected::pointer(NAME, &p)?, v)))
            .collect::<Result<_, Invalid>>()?;
        Ok(JsonHas { values })
    }
}

impl From<JsonHas> for String {
    fn from(check: JsonHas) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use serde_json::json;

    fn parse(text: &str) -> Result<JsonHas, Invalid> {
        JsonHas::try_from(text.to_owned())
    }

    #[test]
    fn parses_a_pointer_map() {
        let check = parse(r#"{"/b":[1,2],"/a":"x"}"#).unwrap();
        assert_eq!(check.expected(), r#"{"/a": "x", "/b": [1, 2]}"#);
        assert!(parse(r#"{"a": 1}"#).unwrap_err().0.contains(r#"got "a""#));
        assert!(parse("[]").is_err());
        assert!(parse("{}").is_err());
    }

    #[test]
    fn compares_strictly() {
        let check = parse(r#"{"/up": true, "/count": 3}"#).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"up": true, "count": 3.0}"#));
        assert_eq!(out.status, Status::Success, "{:?}", out.context);
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"up": 1, "count": 3}"#));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(out.context["detail"], r#""/up" is 1, not true"#);
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"count": 3}"#));
        assert_eq!(out.context["detail"], r#""/up" is not in the document"#);
        assert_eq!(out.context["retrieved"], json!({"count": 3}));
    }
}

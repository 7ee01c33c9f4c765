//! `json-is`: the response body is exactly a given JSON document.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Invalid, expected, json_doc, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "json-is";

/// Passes when the body is JSON deeply equal to the document: key order ignored, numbers by
/// value, and no `1 == true` (fixing the reference). Expected string: the JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonIs {
    document: Value,
}

impl JsonIs {
    /// The expected document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        expected::python_json(&self.document)
    }

    /// Context: `{expected, retrieved: the body}`; a non-JSON body is an `error`.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let body = match json_doc::body(fetched) {
            Ok(body) => body,
            Err(out) => return out,
        };
        let problem = (!json_doc::same(&body, &self.document))
            .then(|| "the document differs from the expected one".to_owned());
        verdict(problem, json_doc::context(self.expected(), body, fetched))
    }
}

impl TryFrom<String> for JsonIs {
    type Error = Invalid;

    fn try_from(text: String) -> Result<JsonIs, Invalid> {
        Ok(JsonIs {
            document: expected::json(NAME, "a JSON document", &text)?,
        })
    }
}

impl From<JsonIs> for String {
    fn from(check: JsonIs) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use serde_json::json;

    fn parse(text: &str) -> Result<JsonIs, Invalid> {
        JsonIs::try_from(text.to_owned())
    }

    #[test]
    fn parses_any_json() {
        assert_eq!(
            parse(r#"{"b":1,"a":[true,null]}"#).unwrap().document(),
            &json!({"a": [true, null], "b": 1})
        );
        assert_eq!(parse("3").unwrap().expected(), "3");
        assert_eq!(
            parse("{nope").unwrap_err().0,
            r#"json-is expects a JSON document, got "{nope""#
        );
    }

    #[test]
    fn compares_deeply() {
        let check = parse(r#"{"a": 1, "b": [1, 2]}"#).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"b": [1, 2.0], "a": 1}"#));
        assert_eq!(out.status, Status::Success);
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"a": true, "b": [1, 2]}"#));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(out.context["retrieved"], json!({"a": true, "b": [1, 2]}));
        assert_eq!(out.context["expected"], r#"{"a": 1, "b": [1, 2]}"#);
    }
}

//! `json-contains`: JSON pointers resolve in the response body (values not checked).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, expected, json_doc, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "json-contains";

const WHAT: &str = r#"a list of JSON pointers, e.g. ["/status", "/items/0"]"#;

/// Passes when the body is JSON and every RFC 6901 pointer resolves. Expected string: a JSON
/// list of pointers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonContains {
    pointers: Vec<String>,
}

impl JsonContains {
    /// The pointers, as configured.
    pub fn pointers(&self) -> &[String] {
        &self.pointers
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        expected::python_json(&json!(self.pointers))
    }

    /// Context: `{expected, retrieved: the body}`, plus `detail` on failure; a non-JSON body
    /// is an `error`.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let body = match json_doc::body(fetched) {
            Ok(body) => body,
            Err(out) => return out,
        };
        let problem = self
            .pointers
            .iter()
            .find(|p| body.pointer(p).is_none())
            .map(|p| format!("{p:?} is not in the document"));
        verdict(problem, json_doc::context(self.expected(), body, fetched))
    }
}

impl TryFrom<String> for JsonContains {
    type Error = Invalid;

    fn try_from(text: String) -> Result<JsonContains, Invalid> {
        let pointers = expected::list(NAME, WHAT, &text)?
            .iter()
            .map(|v| match v.as_str() {
                Some(p) => expected::pointer(NAME, p),
                None => Err(expected::expects(NAME, WHAT, &text)),
            })
            .collect::<Result<_, _>>()?;
        Ok(JsonContains { pointers })
    }
}

impl From<JsonContains> for String {
    fn from(check: JsonContains) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<JsonContains, Invalid> {
        JsonContains::try_from(text.to_owned())
    }

    #[test]
    fn parses_pointers() {
        assert_eq!(
            parse(r#"["/a","/b/0",""]"#).unwrap().expected(),
            r#"["/a", "/b/0", ""]"#
        );
        assert!(parse(r#"["a"]"#).unwrap_err().0.contains("JSON pointers"));
        assert_eq!(
            parse("/a").unwrap_err().0,
            format!("json-contains expects {WHAT}, got \"/a\"")
        );
        assert!(parse("[]").is_err());
        assert!(parse("[1]").is_err());
    }

    #[test]
    fn resolves_pointers() {
        let check = parse(r#"["/a/0/b", "/c~1d"]"#).unwrap();
        let f = Fetched::test(200, &[], br#"{"a": [{"b": null}], "c/d": 1}"#);
        let out = check.evaluate(&f);
        assert_eq!(out.status, Status::Success);
        assert_eq!(
            out.context["retrieved"],
            json!({"a": [{"b": null}], "c/d": 1})
        );
        assert_eq!(out.context["expected"], r#"["/a/0/b", "/c~1d"]"#);
        let out = check.evaluate(&Fetched::test(200, &[], br#"{"a": []}"#));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(out.context["detail"], r#""/a/0/b" is not in the document"#);
        assert_eq!(
            check.evaluate(&Fetched::test(200, &[], b"nope")).status,
            Status::Error
        );
    }
}

//! `headers-contain`: named response headers are present (values not checked).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "headers-contain";

const WHAT: &str = r#"a list of header names, e.g. ["content-type"]"#;

/// Passes when every named header is present; names are compared case-insensitively.
/// Expected string: a JSON list of names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HeadersContain {
    names: Vec<String>,
}

impl HeadersContain {
    /// The header names, as configured.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        expected::python_json(&json!(self.names))
    }

    /// Context: `{expected, retrieved: the lower-cased response header names}`, plus `missing`
    /// on failure.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let missing: Vec<&String> = self
            .names
            .iter()
            .filter(|n| fetched.header(n).is_none())
            .collect();
        let mut ctx =
            context(json!({"expected": self.expected(), "retrieved": fetched.header_names()}));
        if !missing.is_empty() {
            ctx.insert("missing".to_owned(), json!(missing));
        }
        let problem = (!missing.is_empty()).then(|| {
            let names: Vec<String> = missing.iter().map(|n| format!("{n:?}")).collect();
            format!("missing header(s): {}", names.join(", "))
        });
        verdict(problem, ctx)
    }
}

impl TryFrom<String> for HeadersContain {
    type Error = Invalid;

    fn try_from(text: String) -> Result<HeadersContain, Invalid> {
        let names = expected::list(NAME, WHAT, &text)?
            .iter()
            .map(|v| match v.as_str() {
                Some(name) => expected::header_name(NAME, name),
                None => Err(expected::expects(NAME, WHAT, &text)),
            })
            .collect::<Result<_, _>>()?;
        Ok(HeadersContain { names })
    }
}

impl From<HeadersContain> for String {
    fn from(check: HeadersContain) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<HeadersContain, Invalid> {
        HeadersContain::try_from(text.to_owned())
    }

    #[test]
    fn parses_a_list_of_valid_names() {
        assert_eq!(
            parse(r#"["Content-Type","x-a"]"#).unwrap().expected(),
            r#"["Content-Type", "x-a"]"#
        );
        assert_eq!(
            parse("content-type").unwrap_err().0,
            format!("{NAME} expects {WHAT}, got \"content-type\"")
        );
        assert!(parse("[]").is_err());
        assert!(parse("[1]").is_err());
        let err = parse(r#"["bad name"]"#).unwrap_err().0;
        assert_eq!(
            err,
            r#"headers-contain expects valid HTTP header names, got "bad name""#
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        let check = parse(r#"["Content-Type", "X-Frame-Options"]"#).unwrap();
        let f = Fetched::test(
            200,
            &[("content-type", "text/html"), ("x-frame-options", "DENY")],
            b"",
        );
        let out = check.evaluate(&f);
        assert_eq!(out.status, Status::Success);
        assert_eq!(
            out.context["retrieved"],
            json!(["content-type", "x-frame-options"])
        );
        let out = check.evaluate(&Fetched::test(200, &[("content-type", "a")], b""));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(out.context["missing"], json!(["X-Frame-Options"]));
    }
}

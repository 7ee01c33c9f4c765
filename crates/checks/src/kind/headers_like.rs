//! `headers-like`: named response headers match regexes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Invalid, Pattern, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "headers-like";

const WHAT: &str = r#"a map of header names to regexes, e.g. {"server": "^nginx"}"#;

/// Passes when every named header is present and its regex matches somewhere in the value
/// (unanchored, as Python's `re.search`). Expected string: a JSON map name → regex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HeadersLike {
    headers: Vec<(String, Pattern)>,
}

impl HeadersLike {
    /// (name, regex) pairs in name order.
    pub fn headers(&self) -> &[(String, Pattern)] {
        &self.headers
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        let map: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, p)| (k.clone(), json!(p.as_str())))
            .collect();
        expected::python_json(&Value::Object(map))
    }

    /// Context: `{expected, retrieved: map of the response headers}`, plus `detail` on failure.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let problem = self
            .headers
            .iter()
            .find_map(|(name, pattern)| match fetched.header(name) {
                None => Some(format!("header {name:?} is missing")),
                Some(got) if !pattern.is_match(&got) => Some(format!(
                    "header {name:?} is {got:?}, which does not match {:?}",
                    pattern.as_str()
                )),
                Some(_) => None,
            });
        let ctx = context(json!({"expected": self.expected(), "retrieved": fetched.header_map()}));
        verdict(problem, ctx)
    }
}

impl TryFrom<String> for HeadersLike {
    type Error = Invalid;

    fn try_from(text: String) -> Result<HeadersLike, Invalid> {
        let headers = expected::map(NAME, WHAT, &text)?
            .iter()
            .map(|(name, value)| {
                let regex = expected::string(NAME, name, "a regex string", value)?;
                Ok((
                    expected::header_name(NAME, name)?,
                    Pattern::new(NAME, regex)?,
                ))
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(HeadersLike { headers })
    }
}

impl From<HeadersLike> for String {
    fn from(check: HeadersLike) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<HeadersLike, Invalid> {
        HeadersLike::try_from(text.to_owned())
    }

    #[test]
    fn parses_and_compiles_regexes() {
        assert_eq!(
            parse(r#"{"server":"^nginx"}"#).unwrap().expected(),
            r#"{"server": "^nginx"}"#
        );
        let err = parse(r#"{"server": "(unclosed"}"#).unwrap_err().0;
        assert!(
            err.starts_with(r#"headers-like: invalid regex "(unclosed": "#),
            "{err}"
        );
        assert!(
            parse(r#"{"server": true}"#)
                .unwrap_err()
                .0
                .contains("a regex string")
        );
    }

    #[test]
    fn searches_unanchored() {
        let check = parse(r#"{"Server": "nginx/1\\."}"#).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[("server", "proxy nginx/1.25")], b""));
        assert_eq!(out.status, Status::Success);
        let out = check.evaluate(&Fetched::test(200, &[("server", "apache")], b""));
        assert_eq!(out.status, Status::Failure);
        assert_eq!(
            out.context["detail"],
            r#"header "Server" is "apache", which does not match "nginx/1\\.""#
        );
        assert_eq!(out.context["retrieved"], json!({"server": "apache"}));
    }
}

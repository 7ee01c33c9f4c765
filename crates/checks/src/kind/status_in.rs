//! `status-in`: the response status code is one of a list.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "status-in";

const WHAT: &str = "a list of HTTP status codes (100-599), e.g. [200, 301]";

/// Passes when the status code is in `codes`. Expected string: a JSON list, e.g. `"[401, 301]"`;
/// a single code is accepted and stored as a one-element list (the reference failed on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusIn {
    codes: Vec<u16>,
}

impl StatusIn {
    /// The accepted status codes, in the configured order.
    pub fn codes(&self) -> &[u16] {
        &self.codes
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        expected::python_json(&json!(self.codes))
    }

    /// Looks the status code up; the context is `{expected: string, retrieved}` as in the reference.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let ctx = context(json!({"expected": self.expected(), "retrieved": fetched.status}));
        let problem = (!self.codes.contains(&fetched.status)).then(|| {
            format!(
                "status {}, expected one of {}",
                fetched.status,
                self.expected()
            )
        });
        verdict(problem, ctx)
    }
}

impl TryFrom<String> for StatusIn {
    type Error = Invalid;

    fn try_from(text: String) -> Result<StatusIn, Invalid> {
        let items = match expected::json(NAME, WHAT, &text)? {
            Value::Array(items) if !items.is_empty() => items,
            single @ Value::Number(_) => vec![single],
            _ => return Err(expected::expects(NAME, WHAT, &text)),
        };
        let codes = items
            .iter()
            .map(|v| expected::status_code(NAME, v))
            .collect::<Result<_, _>>()?;
        Ok(StatusIn { codes })
    }
}

impl From<StatusIn> for String {
    fn from(check: StatusIn) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn parse(text: &str) -> Result<StatusIn, Invalid> {
        StatusIn::try_from(text.to_owned())
    }

    #[test]
    fn parses_lists_and_single_codes() {
        assert_eq!(parse("[401,301]").unwrap().expected(), "[401, 301]");
        assert_eq!(parse("200").unwrap().codes(), [200]);
        assert_eq!(parse("200").unwrap().expected(), "[200]");
    }

    #[test]
    fn rejects_anything_else() {
        let err = parse("[]").unwrap_err().0;
        assert_eq!(err, format!("status-in expects {WHAT}, got \"[]\""));
        assert!(parse("ok").is_err());
        assert!(
            parse(r#"["200"]"#)
                .unwrap_err()
                .0
                .contains(r#"got "\"200\"""#)
        );
        assert!(parse("[200, 700]").unwrap_err().0.contains("got \"700\""));
        assert!(parse(r#"{"a": 1}"#).is_err());
    }

    #[test]
    fn evaluates_membership() {
        let check = parse("[200, 204]").unwrap();
        let ok = check.evaluate(&Fetched::test(204, &[], b""));
        assert_eq!(ok.status, Status::Success);
        assert_eq!(
            ok.context,
            context(json!({"expected": "[200, 204]", "retrieved": 204}))
        );
        assert_eq!(
            check.evaluate(&Fetched::test(500, &[], b"")).status,
            Status::Failure
        );
    }
}

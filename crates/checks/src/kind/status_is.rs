//! `status-is`: the response status code equals the expected one.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "status-is";

/// Passes when the status code equals `code`. Expected string: the code, e.g. `"200"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusIs {
    code: u16,
}

impl StatusIs {
    /// The expected status code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The canonical expected string.
    pub fn expected(&self) -> String {
        self.code.to_string()
    }

    /// Compares the status code; the context is `{expected, retrieved}` as in the reference,
    /// plus `detail` on failure.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let ctx = context(json!({"expected": self.code, "retrieved": fetched.status}));
        let problem = (fetched.status != self.code)
            .then(|| format!("status {}, expected {}", fetched.status, self.code));
        verdict(problem, ctx)
    }
}

impl TryFrom<String> for StatusIs {
    type Error = Invalid;

    fn try_from(text: String) -> Result<StatusIs, Invalid> {
        let code = text
            .trim()
            .parse::<u64>()
            .map_err(|_| expected::expects(NAME, "an HTTP status code (100-599)", &text))?;
        Ok(StatusIs {
            code: expected::status_code(NAME, &json!(code))?,
        })
    }
}

impl From<StatusIs> for String {
    fn from(check: StatusIs) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::probe::Fetched;

    fn parse(text: &str) -> Result<StatusIs, Invalid> {
        StatusIs::try_from(text.to_owned())
    }

    #[test]
    fn parses_codes_strictly() {
        assert_eq!(parse("200").unwrap().code(), 200);
        assert_eq!(parse(" 404 ").unwrap().expected(), "404");
        let err = parse("abc").unwrap_err();
        assert_eq!(
            err.0,
            r#"status-is expects an HTTP status code (100-599), got "abc""#
        );
        assert!(parse("600").unwrap_err().0.contains("got \"600\""));
        assert!(parse("99").is_err());
        assert!(parse("200.0").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn evaluates_the_status() {
        let check = parse("200").unwrap();
        let ok = check.evaluate(&Fetched::test(200, &[], b""));
        assert_eq!(ok.status, Status::Success);
        assert_eq!(
            ok.context,
            context(json!({"expected": 200, "retrieved": 200}))
        );
        let bad = check.evaluate(&Fetched::test(503, &[], b""));
        assert_eq!(bad.status, Status::Failure);
        assert_eq!(bad.context["retrieved"], 503);
    }
}

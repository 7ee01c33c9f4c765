//! `body-like`: the response body matches a regex.

use serde::{Deserialize, Serialize};

use super::body_contains::body_context;
use super::{Invalid, Pattern, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "body-like";

/// Passes when the regex matches somewhere in the body decoded from its charset (invalid
/// bytes replaced); unanchored, as Python's `re.search`. Expected string: the regex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BodyLike {
    pattern: Pattern,
}

impl BodyLike {
    /// The canonical expected string (the regex source).
    pub fn expected(&self) -> String {
        self.pattern.as_str().to_owned()
    }

    /// Context: empty as in the reference, plus `body_truncated: true` when the size cap cut
    /// the body.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let problem = (!self.pattern.is_match(&fetched.text())).then(|| {
            format!(
                "nothing in the body matches {}",
                expected::shown(self.pattern.as_str())
            )
        });
        verdict(problem, body_context(fetched))
    }
}

impl TryFrom<String> for BodyLike {
    type Error = Invalid;

    fn try_from(text: String) -> Result<BodyLike, Invalid> {
        Ok(BodyLike {
            pattern: Pattern::new(NAME, &text)?,
        })
    }
}

impl From<BodyLike> for String {
    fn from(check: BodyLike) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn compiles_at_parse_time() {
        assert_eq!(
            BodyLike::try_from("v[0-9]+".to_owned()).unwrap().expected(),
            "v[0-9]+"
        );
        let err = BodyLike::try_from("[z-a]".to_owned()).unwrap_err().0;
        assert!(
            err.starts_with(r#"body-like: invalid regex "[z-a]": "#),
            "{err}"
        );
    }

    #[test]
    fn searches_unanchored() {
        let check = BodyLike::try_from(r"version \d+\.\d+".to_owned()).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[], b"<p>running version 2.10</p>"));
        assert_eq!(out.status, Status::Success);
        assert_eq!(
            check
                .evaluate(&Fetched::test(200, &[], b"version x"))
                .status,
            Status::Failure
        );
    }
}

//! `body-not-contains`: the response body does not contain a substring (an error message, a
//! maintenance banner, a defacement).

use serde::{Deserialize, Serialize};

use super::body_contains::body_context;
use super::{Invalid, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "body-not-contains";

/// Passes when the body, decoded from its charset (invalid bytes replaced), does not contain `text`
/// (case-sensitive). Expected string: the text itself.
///
/// Only what was read is searched: when the size cap cut the body, the check passes on the
/// part read and says `body_truncated: true` (raise the path's `max_body_bytes` to search
/// more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BodyNotContains {
    text: String,
}

impl BodyNotContains {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        self.text.clone()
    }

    /// Context: `body_truncated: true` when the size cap cut the body; on failure, `detail`.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let problem = fetched.text().find(&self.text).map(|at| {
            format!(
                "the body contains {} (at byte {at})",
                expected::shown(&self.text)
            )
        });
        verdict(problem, body_context(fetched))
    }
}

impl TryFrom<String> for BodyNotContains {
    type Error = Invalid;

    fn try_from(text: String) -> Result<BodyNotContains, Invalid> {
        // An empty needle is in every body: the check could never pass.
        if text.is_empty() {
            return Err(expected::expects(NAME, "a non-empty string", &text));
        }
        Ok(BodyNotContains { text })
    }
}

impl From<BodyNotContains> for String {
    fn from(check: BodyNotContains) -> String {
        check.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn passes_unless_the_text_is_there() {
        let check = BodyNotContains::try_from("Fatal error".to_owned()).unwrap();
        let ok = check.evaluate(&Fetched::test(200, &[], b"<h1>All good</h1>"));
        assert_eq!(ok.status, Status::Success);
        assert!(ok.context.is_empty());
        let ko = check.evaluate(&Fetched::test(200, &[], b"<b>Fatal error</b>: oops"));
        assert_eq!(ko.status, Status::Failure);
        assert_eq!(
            ko.context["detail"],
            r#"the body contains "Fatal error" (at byte 3)"#
        );
        let err = BodyNotContains::try_from(String::new()).unwrap_err().0;
        assert_eq!(
            err,
            r#"body-not-contains expects a non-empty string, got """#
        );
    }

    #[test]
    fn a_cut_body_passes_on_what_was_read_and_says_so() {
        let check = BodyNotContains::try_from("error".to_owned()).unwrap();
        let mut f = Fetched::test(200, &[], b"fine so far");
        f.body_truncated = true;
        let out = check.evaluate(&f);
        assert_eq!(out.status, Status::Success);
        assert_eq!(out.context["body_truncated"], true);
    }
}

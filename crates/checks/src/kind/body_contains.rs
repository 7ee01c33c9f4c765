//! `body-contains`: the response body contains a substring.

use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::{Invalid, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "body-contains";

/// Passes when the body, decoded from its charset (invalid bytes replaced), contains `text`
/// (case-sensitive). Expected string: the text itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BodyContains {
    text: String,
}

impl BodyContains {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        self.text.clone()
    }

    /// Context: empty as in the reference, plus `body_truncated: true` when the size cap cut
    /// the body (the text may have been in the part not read), and `detail` on failure.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let found = fetched.text().contains(&self.text);
        let problem = (!found).then(|| {
            let cut = if fetched.body_truncated {
                format!(" (only its first {} bytes were read)", fetched.body.len())
            } else {
                String::new()
            };
            format!(
                "the body does not contain {}{cut}",
                expected::shown(&self.text)
            )
        });
        verdict(problem, body_context(fetched))
    }
}

/// The reference's empty context, with `body_truncated` when it applies and the `charset`
/// the body was decoded from when it is not UTF-8. Every body check (json-* too) says when
/// the body was cut.
pub(super) fn body_context(fetched: &Fetched) -> Map<String, serde_json::Value> {
    let mut ctx = Map::new();
    if fetched.body_truncated {
        ctx.insert("body_truncated".to_owned(), true.into());
    }
    let charset = fetched.charset();
    if charset != "UTF-8" {
        ctx.insert("charset".to_owned(), charset.into());
    }
    ctx
}

impl TryFrom<String> for BodyContains {
    type Error = Invalid;

    fn try_from(text: String) -> Result<BodyContains, Invalid> {
        // An empty needle is in every body: that is a config mistake, not a check.
        if text.is_empty() {
            return Err(expected::expects(NAME, "a non-empty string", &text));
        }
        Ok(BodyContains { text })
    }
}

impl From<BodyContains> for String {
    fn from(check: BodyContains) -> String {
        check.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn parses_any_non_empty_text() {
        let check = BodyContains::try_from(" a [b] ".to_owned()).unwrap();
        assert_eq!(check.expected(), " a [b] ");
        let err = BodyContains::try_from(String::new()).unwrap_err().0;
        assert_eq!(err, r#"body-contains expects a non-empty string, got """#);
    }

    #[test]
    fn searches_the_lossy_text() {
        let check = BodyContains::try_from("Welcome".to_owned()).unwrap();
        let out = check.evaluate(&Fetched::test(200, &[], b"\xff<h1>Welcome</h1>\xfe"));
        assert_eq!(out.status, Status::Success);
        assert!(out.context.is_empty());
        assert_eq!(
            check.evaluate(&Fetched::test(200, &[], b"welcome")).status,
            Status::Failure
        );
    }

    #[test]
    fn says_when_the_body_was_cut() {
        let check = BodyContains::try_from("end".to_owned()).unwrap();
        let mut f = Fetched::test(200, &[], b"start");
        f.body_truncated = true;
        let out = check.evaluate(&f);
        assert_eq!(out.status, Status::Failure);
        assert_eq!(out.context["body_truncated"], true);
    }
}

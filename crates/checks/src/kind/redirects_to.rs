//! `redirects-to`: the URL answers with a redirect (3xx) whose `Location` is the expected URL.
//!
//! It judges the first answer, the one to the URL checked, whether or not the path follows
//! redirects. The expected URL is absolute, or a path (`/new`) taken relative to the URL
//! checked; both sides are resolved before they are compared, so `Location: /new` matches
//! `https://example.org/new` on that site.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Fetched;

/// The config name.
pub const NAME: &str = "redirects-to";

/// Passes when the first answer is a 3xx whose `Location` resolves to `target`.
/// Expected string: the URL or path, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectsTo {
    target: String,
}

impl RedirectsTo {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        self.target.clone()
    }

    /// Context: `{expected, retrieved: status, location}` (`location` as sent, or null).
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        let (status, location) = fetched.first_answer();
        let ctx = context(json!({
            "expected": self.target,
            "retrieved": status,
            "location": location,
        }));
        verdict(self.problem(&fetched.url, status, location.as_deref()), ctx)
    }

    fn problem(&self, checked: &url::Url, status: u16, location: Option<&str>) -> Option<String> {
        if !(300..400).contains(&status) {
            return Some(format!("status {status} is not a redirect"));
        }
        let Some(location) = location else {
            return Some(format!("the {status} redirect has no Location header"));
        };
        // The parser only takes targets that join; a comparison that cannot be made is still
        // a failure, never a pass.
        let want = match checked.join(&self.target) {
            Ok(want) => want,
            Err(e) => {
                return Some(format!(
                    "the expected target {:?} cannot be compared: with {checked} it makes no URL ({e})",
                    self.target
                ));
            }
        };
        match checked.join(location) {
            Ok(got) if got == want => None,
            Ok(got) => Some(format!("the redirect goes to {got}, not {want}")),
            Err(e) => Some(format!(
                "the Location header {location:?} is not a URL: {e}"
            )),
        }
    }
}

impl TryFrom<String> for RedirectsTo {
    type Error = Invalid;

    fn try_from(text: String) -> Result<RedirectsTo, Invalid> {
        let target = text.trim().to_owned();
        let absolute = url::Url::parse(&target).is_ok();
        // Joined as it will be at run time: "//" or "//bad host/" start with a slash and yet
        // make no URL, and a check that can compare nothing must not load.
        let base = url::Url::parse("https://example.org/").expect("a valid URL");
        let joins = base
            .join(&target)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !((absolute || target.starts_with('/')) && joins) {
            return Err(expected::expects(
                NAME,
                "an http(s) URL or a path starting with /",
                &text,
            ));
        }
        Ok(RedirectsTo { target })
    }
}

impl From<RedirectsTo> for String {
    fn from(check: RedirectsTo) -> String {
        check.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::probe::Redirect;

    fn check(target: &str) -> RedirectsTo {
        RedirectsTo::try_from(target.to_owned()).unwrap()
    }

    fn answer(status: u16, location: Option<&str>) -> Fetched {
        let headers: Vec<(&str, &str)> = location.map(|l| ("location", l)).into_iter().collect();
        let mut f = Fetched::test(status, &headers, b"");
        f.url = url::Url::parse("https://example.org/old?x=1").unwrap();
        f
    }

    #[test]
    fn targets_are_urls_or_paths() {
        assert_eq!(check(" /new ").expected(), "/new");
        assert_eq!(check("https://a.test/x").expected(), "https://a.test/x");
        // "//" and "//bad host/" start with a slash but join to no URL at all.
        for bad in ["new", "ftp://a.test/", "", "https://", "//", "//bad host/"] {
            let err = RedirectsTo::try_from(bad.to_owned()).unwrap_err().0;
            assert!(
                err.starts_with("redirects-to expects an http(s) URL"),
                "{err}"
            );
        }
    }

    #[test]
    fn relative_and_absolute_forms_match_each_other() {
        let out = check("https://example.org/new").evaluate(&answer(301, Some("/new")));
        assert_eq!(out.status, Status::Success, "{:?}", out.context);
        assert_eq!(
            out.context,
            context(
                json!({"expected": "https://example.org/new", "retrieved": 301, "location": "/new"})
            )
        );
        let out = check("/new").evaluate(&answer(308, Some("https://example.org/new")));
        assert_eq!(out.status, Status::Success);
    }

    #[test]
    fn fails_for_the_right_reason() {
        let detail = |c: &str, f: Fetched| {
            let out = check(c).evaluate(&f);
            assert_eq!(out.status, Status::Failure);
            out.context["detail"].as_str().unwrap().to_owned()
        };
        assert_eq!(
            detail("/new", answer(200, None)),
            "status 200 is not a redirect"
        );
        assert_eq!(
            detail("/new", answer(302, None)),
            "the 302 redirect has no Location header"
        );
        assert_eq!(
            detail("/new", answer(302, Some("https://other.test/new"))),
            "the redirect goes to https://other.test/new, not https://example.org/new"
        );
    }

    #[test]
    fn a_target_that_cannot_be_compared_is_a_failure_not_a_pass() {
        // Such a target no longer parses; one that slipped through (an old stored task) fails.
        let check = RedirectsTo {
            target: "//bad host/".to_owned(),
        };
        let out = check.evaluate(&answer(301, Some("/anything")));
        assert_eq!(out.status, Status::Failure, "{:?}", out.context);
        assert!(
            out.context["detail"]
                .as_str()
                .unwrap()
                .contains("cannot be compared"),
            "{:?}",
            out.context
        );
    }

    #[test]
    fn judges_the_first_answer_when_redirects_were_followed() {
        let mut f = answer(200, None);
        f.redirects.push(Redirect {
            url: f.url.clone(),
            status: 301,
            location: "/new".into(),
            to: f.url.join("/new").unwrap(),
        });
        assert_eq!(check("/new").evaluate(&f).status, Status::Success);
    }
}

//! Per-path request options (`timeout`, `follow_redirects`, `max_body_bytes`, and the two
//! redirect opt-ins `follow_redirects_to_private`, `follow_redirects_with_data`): what a path
//! may change about how its probe runs, their limits, and their wire form.
//!
//! They travel to agents as one optional field of [`Task`](crate::Task), absent when the path
//! sets none: the tasks of a config without options are exactly what they were before options
//! existed (same identity, same group), and the Python agent, which ignores unknown fields,
//! keeps working. Agents clamp every value to the limits below as well, so a hand-made task
//! cannot ask for an unbounded request either.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::kind::ProbeKind;

/// The longest `timeout` a path may set. A check holds a lease and an in-flight slot for that
/// long; five minutes is already far beyond any useful answer.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// The most redirects a path may follow.
pub const MAX_REDIRECTS: u32 = 20;
/// What `follow_redirects: true` means.
pub const DEFAULT_REDIRECTS: u32 = 10;
/// The largest `max_body_bytes` a path may set: a body is held in memory while checked, once
/// per request in flight.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// How one path's probe differs from the agent's defaults. `None` everywhere is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestOptions {
    /// Deadline of the whole probe (redirects and body included), in milliseconds.
    /// Default: the agent's (`--timeout`, 10 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Redirects followed at most; the checks see the last answer. Default: none followed,
    /// the checks see the first answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<u32>,
    /// Body bytes read at most; the rest is not downloaded. Default: the agent's (4 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// Follow a redirect to another host whose address is loopback, private, link-local or
    /// unspecified. Default: such a hop stops the check (`redirect-blocked`), so that a site
    /// cannot make the agent fetch (and echo into results) what only it can reach.
    #[serde(default, skip_serializing_if = "is_false")]
    pub follow_redirects_to_private: bool,
    /// Send the path's request body and extra headers again when a redirect that keeps the
    /// method (307, 308) goes to another origin. Default: they are dropped there.
    #[serde(default, skip_serializing_if = "is_false")]
    pub follow_redirects_with_data: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl RequestOptions {
    /// Whether every option is the default.
    pub fn is_empty(&self) -> bool {
        *self == RequestOptions::default()
    }

    /// The options that matter to a probe of `kind` (a TCP connect or a DNS lookup only has a
    /// deadline), or `None` when none is left. Tasks store this, so two paths differing only
    /// in an HTTP option still share one DNS lookup.
    pub fn for_probe(self, kind: ProbeKind) -> Option<RequestOptions> {
        let kept = match kind {
            ProbeKind::Http => self,
            ProbeKind::Tcp | ProbeKind::Dns => RequestOptions {
                timeout_ms: self.timeout_ms,
                ..RequestOptions::default()
            },
        };
        (!kept.is_empty()).then_some(kept)
    }

    /// The JSON text stored in a task (field order fixed, so equal options give equal text).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("RequestOptions always serialises")
    }

    /// Parses the stored JSON text.
    ///
    /// # Errors
    /// When the text is not a JSON object of the fields above.
    pub fn from_text(text: &str) -> Result<RequestOptions, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The deadline, within `1 ms..=MAX_TIMEOUT`.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms
            .map(|ms| Duration::from_millis(ms.max(1)).min(MAX_TIMEOUT))
    }

    /// Redirects to follow, at most [`MAX_REDIRECTS`].
    pub fn redirects(&self) -> u32 {
        self.follow_redirects.unwrap_or(0).min(MAX_REDIRECTS)
    }

    /// The body cap, within `1..=MAX_BODY_BYTES`.
    pub fn max_body_bytes(&self) -> Option<usize> {
        let capped = self.max_body_bytes?.clamp(1, MAX_BODY_BYTES);
        Some(usize::try_from(capped).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_stable_and_omits_defaults() {
        let o = RequestOptions {
            timeout_ms: Some(5_000),
            follow_redirects: Some(3),
            ..RequestOptions::default()
        };
        assert_eq!(o.to_text(), r#"{"timeout_ms":5000,"follow_redirects":3}"#);
        let private = RequestOptions {
            follow_redirects_to_private: true,
            follow_redirects_with_data: true,
            ..o
        };
        assert_eq!(
            private.to_text(),
            r#"{"timeout_ms":5000,"follow_redirects":3,"follow_redirects_to_private":true,"follow_redirects_with_data":true}"#
        );
        assert_eq!(
            RequestOptions::from_text(&private.to_text()).unwrap(),
            private
        );
        assert_eq!(RequestOptions::from_text(&o.to_text()).unwrap(), o);
        assert_eq!(RequestOptions::default().to_text(), "{}");
        // Unknown fields from a newer server are ignored, not fatal.
        assert_eq!(
            RequestOptions::from_text(r#"{"timeout_ms": 1, "later": true}"#).unwrap(),
            RequestOptions {
                timeout_ms: Some(1),
                ..RequestOptions::default()
            }
        );
    }

    #[test]
    fn probes_keep_only_what_they_use() {
        let o = RequestOptions {
            timeout_ms: None,
            follow_redirects: Some(3),
            max_body_bytes: Some(10),
            ..RequestOptions::default()
        };
        assert_eq!(o.for_probe(ProbeKind::Http), Some(o));
        assert_eq!(o.for_probe(ProbeKind::Dns), None);
        let t = RequestOptions {
            timeout_ms: Some(50),
            ..o
        };
        assert_eq!(
            t.for_probe(ProbeKind::Tcp).unwrap().to_text(),
            r#"{"timeout_ms":50}"#
        );
    }

    #[test]
    fn agents_clamp_to_the_limits() {
        let o = RequestOptions {
            timeout_ms: Some(u64::MAX),
            follow_redirects: Some(1_000),
            max_body_bytes: Some(u64::MAX),
            ..RequestOptions::default()
        };
        assert_eq!(o.timeout(), Some(MAX_TIMEOUT));
        assert_eq!(o.redirects(), MAX_REDIRECTS);
        assert_eq!(o.max_body_bytes(), Some(MAX_BODY_BYTES as usize));
        let zero = RequestOptions {
            timeout_ms: Some(0),
            follow_redirects: None,
            max_body_bytes: Some(0),
            ..RequestOptions::default()
        };
        assert_eq!(zero.timeout(), Some(Duration::from_millis(1)));
        assert_eq!((zero.redirects(), zero.max_body_bytes()), (0, Some(1)));
    }
}

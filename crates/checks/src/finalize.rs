//! From what an agent reported (`Status` + context) to a task's `Severity`.
//!
//! This runs on the server, because the SSL thresholds live in the server's config and the
//! Python agent of Argos Panoptès reports `on-check` for certificate expiry and leaves the rest
//! to the server. Deviation from the reference (its bug list, §10.2.6): an expired, untrusted or
//! otherwise invalid certificate is `critical`, never `warning`.
//!
//! `response-time` is the one check an agent grades itself: a response slower than its warning
//! threshold only is a `failure` whose context says `severity: warning`. Any other failure,
//! of any check, is critical.

use serde::{Deserialize, Serialize};

use crate::kind::{Grading, Kind};
use crate::reason::Reason;
use crate::wire::{Severity, Status};

/// One `ssl.thresholds` entry: a certificate expiring in less than `days` gets `severity`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// Days before expiry (fractions allowed; the reference required whole days).
    pub days: f64,
    /// Severity when the certificate expires sooner than that.
    pub severity: Severity,
}

/// Maps an agent's status to `(status, severity)`.
///
/// `thresholds` must be sorted by ascending `days` (config loading does it). How a check's
/// results are graded is one of its [`Traits`](crate::kind::Traits); an unknown name is
/// graded as usual.
pub fn finalize(
    check: &str,
    status: Status,
    context: &serde_json::Value,
    thresholds: &[Threshold],
) -> (Status, Severity) {
    let grading = Kind::parse(check).map_or(Grading::Standard, |k| k.traits().grading);
    match status {
        Status::Success => (status, Severity::Ok),
        Status::Failure if grading == Grading::OwnSeverity && is_warning(context) => {
            (status, Severity::Warning)
        }
        Status::Failure => (status, Severity::Critical),
        Status::Error => (status, Severity::Unknown),
        Status::OnCheck if grading == Grading::ServerThresholds => ssl_expiry(context, thresholds),
        // Only the SSL check asks the server to finish; anything else is a confused agent.
        Status::OnCheck => (Status::Error, Severity::Unknown),
    }
}

/// A slow response that only crossed the warning threshold (and nothing else went wrong).
fn is_warning(context: &serde_json::Value) -> bool {
    context.get("severity").and_then(|v| v.as_str()) == Some("warning")
        && context.get("reason").and_then(|v| v.as_str()) == Some(Reason::Slow.as_str())
}

fn ssl_expiry(context: &serde_json::Value, thresholds: &[Threshold]) -> (Status, Severity) {
    // The Python agent sends whole days; ours also sends seconds for precision.
    let days = match context.get("expires_in_seconds").and_then(|v| v.as_f64()) {
        Some(secs) => secs / 86_400.0,
        None => match context.get("expires_in").and_then(|v| v.as_f64()) {
            Some(d) => d,
            None => return (Status::Error, Severity::Unknown),
        },
    };
    if days <= 0.0 {
        return (Status::Failure, Severity::Critical);
    }
    match thresholds.iter().find(|t| days < t.days) {
        Some(t) => (Status::Failure, t.severity),
        None => (Status::Success, Severity::Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SSL_CHECK: &str = "ssl-certificate-expiration";
    const RESPONSE_TIME_CHECK: &str = "response-time";

    fn th() -> Vec<Threshold> {
        vec![
            Threshold {
                days: 1.0,
                severity: Severity::Critical,
            },
            Threshold {
                days: 5.0,
                severity: Severity::Warning,
            },
        ]
    }

    #[test]
    fn default_mapping() {
        let c = json!({});
        assert_eq!(
            finalize("status-is", Status::Success, &c, &th()).1,
            Severity::Ok
        );
        assert_eq!(
            finalize("status-is", Status::Failure, &c, &th()).1,
            Severity::Critical
        );
        assert_eq!(
            finalize("status-is", Status::Error, &c, &th()).1,
            Severity::Unknown
        );
        assert_eq!(
            finalize("status-is", Status::OnCheck, &c, &th()),
            (Status::Error, Severity::Unknown)
        );
    }

    #[test]
    fn ssl_thresholds() {
        let f = |ctx| finalize(SSL_CHECK, Status::OnCheck, &ctx, &th());
        assert_eq!(
            f(json!({"expires_in": 30})),
            (Status::Success, Severity::Ok)
        );
        assert_eq!(
            f(json!({"expires_in": 3})),
            (Status::Failure, Severity::Warning)
        );
        assert_eq!(
            f(json!({"expires_in": 0.5})),
            (Status::Failure, Severity::Critical)
        );
        assert_eq!(
            f(json!({"expires_in": -2})),
            (Status::Failure, Severity::Critical)
        );
        assert_eq!(
            f(json!({"expires_in": 3, "expires_in_seconds": 40_000})).1,
            Severity::Critical
        );
        assert_eq!(f(json!({})).1, Severity::Unknown);
    }

    #[test]
    fn response_time_grades_its_own_failures() {
        let f = |check, ctx| finalize(check, Status::Failure, &ctx, &th());
        let warn = json!({"reason": "slow", "severity": "warning"});
        assert_eq!(
            f(RESPONSE_TIME_CHECK, warn.clone()),
            (Status::Failure, Severity::Warning)
        );
        let crit = json!({"reason": "slow", "severity": "critical"});
        assert_eq!(f(RESPONSE_TIME_CHECK, crit).1, Severity::Critical);
        // A request that failed outright is critical whatever the check.
        let timeout = json!({"reason": "timeout", "severity": "warning"});
        assert_eq!(f(RESPONSE_TIME_CHECK, timeout).1, Severity::Critical);
        // Only response-time may ask for a warning.
        assert_eq!(f("status-is", warn).1, Severity::Critical);
        assert_eq!(
            finalize(RESPONSE_TIME_CHECK, Status::Success, &json!({}), &th()),
            (Status::Success, Severity::Ok)
        );
    }

    #[test]
    fn an_invalid_certificate_is_critical() {
        // A failed handshake reaches the server as a failure: critical, not the reference's warning.
        let ctx = json!({"reason": "tls-expired"});
        assert_eq!(
            finalize(SSL_CHECK, Status::Failure, &ctx, &th()).1,
            Severity::Critical
        );
    }
}

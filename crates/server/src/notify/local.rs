//! `local`: one structured line in the server log per message (the reference logged an
//! "Alerting stub" line at ERROR level; a recovery is not an error, so the level follows the
//! severity).

use argos_checks::Severity;
use tracing::Level;

use super::Notice;

/// Logs `notice` as one line whose fields tools can filter on (target `argos::alert`).
pub fn send(notice: &Notice) {
    let domains: Vec<&str> = notice.items.iter().map(|i| i.domain.as_str()).collect();
    let domains = domains.join(",");
    let kind = serde_json::to_value(notice.kind).unwrap_or_default();
    let kind = kind.as_str().unwrap_or_default();
    let link = notice.link.as_deref().unwrap_or_default();
    // `tracing` wants the level as a constant, hence one call per level.
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                target: "argos::alert", $level, kind, severity = %notice.severity,
                alerts = notice.items.len(), domains, link, "{}", notice.title
            )
        };
    }
    match notice.severity {
        Severity::Ok => line!(Level::INFO),
        Severity::Warning => line!(Level::WARN),
        Severity::Critical | Severity::Unknown => line!(Level::ERROR),
    }
}

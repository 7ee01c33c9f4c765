//! The alert outbox's types: an alert event as stored, what ingestion and the maintenance
//! loop write, what the notifier claims and records, and what the alerts page reads.

use argos_checks::{IpVersion, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A task's confirmed severity changed (to ok: a recovery).
    Change,
    /// A task is still not ok.
    Reminder,
    /// No agent leased or reported for `recurring_tasks.time_without_agent`.
    NoAgent,
    /// An agent showed up again after a no-agent alert.
    AgentBack,
    /// `argos server test-alert` and friends.
    Test,
}

impl AlertKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Change => "change",
            AlertKind::Reminder => "reminder",
            AlertKind::NoAgent => "no-agent",
            AlertKind::AgentBack => "agent-back",
            AlertKind::Test => "test",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<AlertKind> {
        [
            AlertKind::Change,
            AlertKind::Reminder,
            AlertKind::NoAgent,
            AlertKind::AgentBack,
            AlertKind::Test,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// About one task (change, reminder), rather than the system (agents, tests).
    pub fn is_task(self) -> bool {
        matches!(self, AlertKind::Change | AlertKind::Reminder)
    }
}

/// The task an alert is about, copied into the alert so that history outlives the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct AlertTask {
    pub id: i64,
    pub netloc: String,
    pub url: String,
    pub check: String,
    pub ip_version: IpVersion,
}

/// An alert to write, with the channels it goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// What it is about.
    pub kind: AlertKind,
    /// The task, for change and reminder alerts.
    pub task: Option<AlertTask>,
    /// The result that caused it (set by ingestion).
    pub result_id: Option<i64>,
    /// What people were told before.
    pub previous: Option<Severity>,
    /// The severity now.
    pub severity: Severity,
    /// Since when.
    pub since: DateTime<Utc>,
    /// A sentence for people.
    pub detail: Option<String>,
    /// Recipient names (`mail`, `apprise:team`, ...); empty for a muted website.
    pub channels: Vec<String>,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct AlertRecord {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub kind: AlertKind,
    pub task_id: Option<i64>,
    pub result_id: Option<i64>,
    pub netloc: Option<String>,
    pub url: Option<String>,
    pub check: Option<String>,
    pub ip_version: Option<IpVersion>,
    pub previous: Option<Severity>,
    pub severity: Severity,
    pub since: DateTime<Utc>,
    pub detail: Option<String>,
}

/// One channel's copy of an alert, claimed by a notifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The delivery's id.
    pub id: i64,
    /// The recipient name.
    pub channel: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// Targets already served by earlier attempts.
    pub done: Vec<String>,
    /// The alert.
    pub alert: AlertRecord,
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// It left.
    Sent,
    /// It failed; try again at `at`.
    Retry {
        /// Next attempt.
        at: DateTime<Utc>,
        /// Why it failed.
        error: String,
        /// Targets served so far.
        done: Vec<String>,
    },
    /// It failed for good.
    Failed {
        /// Why.
        error: String,
        /// Targets served so far.
        done: Vec<String>,
    },
}

/// A delivery as the alerts page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct DeliveryView {
    pub channel: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// An alert with its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertView {
    /// The alert.
    #[serde(flatten)]
    pub alert: AlertRecord,
    /// One per channel, by channel name.
    pub deliveries: Vec<DeliveryView>,
}

/// One alert row as an element of the insert statement's JSON array.
#[derive(Serialize)]
pub(crate) struct AlertRow<'a, T> {
    pub kind: &'static str,
    pub task_id: Option<i64>,
    pub result_id: Option<i64>,
    pub netloc: Option<&'a str>,
    pub url: Option<&'a str>,
    pub check_name: Option<&'a str>,
    pub ip_version: Option<&'static str>,
    pub previous: Option<&'static str>,
    pub severity: &'static str,
    pub since: T,
    pub detail: Option<&'a str>,
}

impl<'a, T> AlertRow<'a, T> {
    pub fn new(a: &'a NewAlert, since: T) -> Self {
        let task = a.task.as_ref();
        AlertRow {
            kind: a.kind.as_str(),
            task_id: task.map(|t| t.id),
            result_id: a.result_id,
            netloc: task.map(|t| t.netloc.as_str()),
            url: task.map(|t| t.url.as_str()),
            check_name: task.map(|t| t.check.as_str()),
            ip_version: task.map(|t| t.ip_version.as_str()),
            previous: a.previous.map(Severity::as_str),
            severity: a.severity.as_str(),
            since,
            detail: a.detail.as_deref(),
        }
    }
}

/// One delivery row as an element of the insert statement's JSON array.
#[derive(Serialize)]
pub(crate) struct DeliveryRow<'a> {
    pub alert_id: i64,
    pub channel: &'a str,
}

/// The deliveries of inserted alerts. `ids` are `(alert id, result id)` as the insert
/// returned them (in no particular order); alerts without a result are inserted one at a
/// time, so a lone id is theirs.
pub(crate) fn delivery_rows<'a>(
    alerts: &'a [NewAlert],
    ids: &[(i64, Option<i64>)],
) -> Vec<DeliveryRow<'a>> {
    let by_result: std::collections::HashMap<i64, i64> = ids
        .iter()
        .filter_map(|&(id, result)| Some((result?, id)))
        .collect();
    let id_of = |a: &NewAlert| match (ids, a.result_id) {
        ([(id, _)], _) => Some(*id),
        (_, Some(r)) => by_result.get(&r).copied(),
        _ => None,
    };
    alerts
        .iter()
        .filter_map(|a| Some((id_of(a)?, a)))
        .flat_map(|(alert_id, a)| {
            a.channels.iter().map(move |c| DeliveryRow {
                alert_id,
                channel: c,
            })
        })
        .collect()
}

/// Alerts (newest first) with their deliveries (`(alert id, delivery)` in any order).
pub(crate) fn views(
    alerts: Vec<AlertRecord>,
    deliveries: Vec<(i64, DeliveryView)>,
) -> Vec<AlertView> {
    let mut by_alert: std::collections::HashMap<i64, Vec<DeliveryView>> =
        std::collections::HashMap::new();
    for (alert_id, d) in deliveries {
        by_alert.entry(alert_id).or_default().push(d);
    }
    alerts
        .into_iter()
        .map(|alert| AlertView {
            deliveries: by_alert.remove(&alert.id).unwrap_or_default(),
            alert,
        })
        .collect()
}

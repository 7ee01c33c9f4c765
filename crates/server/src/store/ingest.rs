//! Which posted results a batch accepts, and the task state each one leads to. Pure, shared
//! by both backends, which load the referenced tasks in one query, call [`accept`], then
//! write the results and the task updates (`ingest_pg`, `ingest_sqlite`).

use std::collections::{HashMap, HashSet};

use argos_checks::{Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::alerts::{AlertKind, AlertTask, NewAlert};
use super::model::Ingested;
use crate::alerting::{AlertState, EventKind, Rules};
use crate::schedule::{self, Timing};
use argos_checks::IpVersion;

/// Maps a result (by its index in the batch) and its task's check name to the final
/// `(status, severity)`. `Sync` so that the ingesting future stays `Send`.
pub(crate) type Finalize<'f> = &'f (dyn Fn(&str, usize) -> (Status, Severity) + Sync);

/// One posted result, before acceptance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Posted<'a> {
    pub task_id: i64,
    pub context: &'a serde_json::Value,
    pub elapsed_ms: Option<f64>,
    /// The lease the result answers (`None` from the Python agent).
    pub lease_id: Option<&'a str>,
}

/// A task referenced by the batch, as loaded (and, on PostgreSQL, locked).
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub id: i64,
    pub leased_by: Option<String>,
    /// The lease holding the task (its last one, while `leased_by` is set).
    pub lease_id: Option<String>,
    pub check: String,
    pub severity: Severity,
    pub already_retried: bool,
    pub frequency_s: f64,
    pub recheck_delay_s: Option<f64>,
    pub task_group: String,
    pub had_result: bool,
    pub domain: String,
    pub netloc: String,
    pub url: String,
    pub ip_version: IpVersion,
    /// JSON of the task's [`AlertState`]; `None` before its first result.
    pub alert_state: Option<String>,
    pub contiguous_failures: i32,
}

/// An accepted result and the new state of its task.
#[derive(Debug, Clone)]
pub(crate) struct Accepted<'a> {
    pub task_id: i64,
    pub status: Status,
    pub severity: Severity,
    pub context: &'a serde_json::Value,
    pub elapsed_ms: Option<f64>,
    pub previous: Severity,
    pub first: bool,
    pub next_run: DateTime<Utc>,
    pub already_retried: bool,
    /// JSON of the new [`AlertState`].
    pub alert_state: String,
    /// Consecutive non-ok results, this one included (the reference's column, which its
    /// agent reads).
    pub contiguous_failures: i32,
    /// The alert this result raises (its `result_id` is set once the result is stored).
    pub alert: Option<NewAlert>,
}

/// Keeps the results whose task is leased to `agent` (an expired lease still counts while
/// nobody else holds the task) and, for a result that names its lease, by that very lease
/// (a late result of an earlier lease of the task is refused, even from the same agent);
/// the last one when a task appears twice, in batch order.
pub(crate) fn accept<'a>(
    agent: &str,
    held: &[Held],
    posted: &[Posted<'a>],
    finalize: Finalize<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Vec<Accepted<'a>> {
    let tasks: HashMap<i64, &Held> = held.iter().map(|h| (h.id, h)).collect();
    let mut seen = HashSet::new();
    let mut out: Vec<Accepted<'a>> = posted
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, p)| seen.insert(p.task_id))
        .filter_map(|(i, p)| {
            let task = tasks.get(&p.task_id)?;
            is_held(task, agent, p.lease_id).then(|| accepted(task, i, p, finalize, rules, now))
        })
        .collect();
    out.reverse();
    out
}

/// Whether `agent` holds `task`, under the lease `lease_id` when the result names one.
fn is_held(task: &Held, agent: &str, lease_id: Option<&str>) -> bool {
    task.leased_by.as_deref() == Some(agent)
        && lease_id.is_none_or(|id| task.lease_id.as_deref() == Some(id))
}

fn accepted<'a>(
    task: &Held,
    i: usize,
    p: &Posted<'a>,
    finalize: Finalize<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Accepted<'a> {
    let (status, severity) = finalize(&task.check, i);
    // A state that does not parse (written by a newer version?) restarts from the default
    // rather than blocking the task's results.
    let state = task
        .alert_state
        .as_deref()
        .and_then(|s| serde_json::from_str::<AlertState>(s).ok())
        .unwrap_or_default();
    let (state, event) = rules.observe(&task.domain, state, severity, now);
    let timing = Timing {
        frequency_s: task.frequency_s,
        recheck_delay_s: task.recheck_delay_s,
        already_retried: task.already_retried,
        task_group: &task.task_group,
        confirming: state.is_pending(),
    };
    let (next_run, already_retried) = schedule::next_run(&timing, severity, now);
    let alert = event.map(|e| NewAlert {
        kind: match e.kind {
            EventKind::Change => AlertKind::Change,
            EventKind::Reminder => AlertKind::Reminder,
        },
        task: Some(AlertTask {
            id: task.id,
            netloc: task.netloc.clone(),
            url: task.url.clone(),
            check: task.check.clone(),
            ip_version: task.ip_version,
        }),
        result_id: None,
        previous: Some(e.previous),
        severity: e.severity,
        since: e.since,
        detail: detail(p.context),
        channels: rules.recipients(&task.domain, e.severity),
    });
    Accepted {
        task_id: p.task_id,
        status,
        severity,
        context: p.context,
        elapsed_ms: p.elapsed_ms,
        previous: task.severity,
        first: !task.had_result,
        next_run,
        already_retried,
        alert_state: serde_json::to_string(&state).expect("an alert state serialises"),
        contiguous_failures: if severity == Severity::Ok {
            0
        } else {
            task.contiguous_failures.saturating_add(1)
        },
        alert,
    }
}

/// The sentence a result's context gives for people: ours say `detail`, the reference's
/// error shape `error_message`. At most 500 characters.
fn detail(context: &serde_json::Value) -> Option<String> {
    let text = ["detail", "error_message"]
        .iter()
        .find_map(|k| context.get(*k)?.as_str())?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut cut: String = text.chars().take(500).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    Some(cut)
}

/// The alerts raised by `accepted` (stored as `result_ids`), ready to insert.
pub(crate) fn alerts(accepted: &[Accepted<'_>], result_ids: &[i64]) -> Vec<NewAlert> {
    accepted
        .iter()
        .zip(result_ids)
        .filter_map(|(a, &result_id)| {
            let mut alert = a.alert.clone()?;
            alert.result_id = Some(result_id);
            Some(alert)
        })
        .collect()
}

/// What the caller learns of each accepted result (`result_ids` in the order of `accepted`).
pub(crate) fn ingested(accepted: &[Accepted<'_>], result_ids: &[i64]) -> Vec<Ingested> {
    accepted
        .iter()
        .zip(result_ids)
        .map(|(a, &result_id)| Ingested {
            task_id: a.task_id,
            result_id,
            previous: a.previous,
            severity: a.severity,
            first: a.first,
            alerted: a.alert.is_some(),
        })
        .collect()
}

/// One result row, as an element of the insert statement's JSON array.
#[derive(Serialize)]
pub(crate) struct NewResult<'a> {
    task_id: i64,
    status: &'static str,
    severity: &'static str,
    context: &'a serde_json::Value,
    elapsed_ms: Option<f64>,
}

impl<'a> From<&Accepted<'a>> for NewResult<'a> {
    fn from(a: &Accepted<'a>) -> Self {
        NewResult {
            task_id: a.task_id,
            status: a.status.as_str(),
            severity: a.severity.as_str(),
            context: a.context,
            elapsed_ms: a.elapsed_ms,
        }
    }
}

/// One task's new state, as an element of the update statement's JSON array. `T` is the
/// backend's time representation (a timestamp for PostgreSQL, milliseconds for SQLite).
#[derive(Serialize)]
pub(crate) struct NewState<'a, T> {
    id: i64,
    severity: &'static str,
    last_result_id: i64,
    last_status: &'static str,
    last_elapsed_ms: Option<f64>,
    next_run: T,
    already_retried: bool,
    alert_state: &'a str,
    contiguous_failures: i32,
}

impl<'a, T> NewState<'a, T> {
    pub fn new(a: &'a Accepted<'_>, result_id: i64, next_run: T) -> Self {
        NewState {
            id: a.task_id,
            severity: a.severity.as_str(),
            last_result_id: result_id,
            last_status: a.status.as_str(),
            last_elapsed_ms: a.elapsed_ms,
            next_run,
            already_retried: a.already_retried,
            alert_state: &a.alert_state,
            contiguous_failures: a.contiguous_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: i64, leased_by: Option<&str>) -> Held {
        Held {
            id,
            leased_by: leased_by.map(Into::into),
            lease_id: leased_by.map(|a| format!("{a}-lease")),
            check: "status-is".into(),
            severity: Severity::Unknown,
            already_retried: false,
            frequency_s: 60.0,
            recheck_delay_s: None,
            task_group: "g".into(),
            had_result: id == 2,
            domain: "https://a/".into(),
            netloc: "a".into(),
            url: "https://a/".into(),
            ip_version: IpVersion::V4,
            alert_state: None,
            contiguous_failures: 0,
        }
    }

    #[test]
    fn only_the_lease_holder_and_the_last_duplicate_are_accepted() {
        let ctx = [
            serde_json::json!(1),
            serde_json::json!(2),
            serde_json::json!(3),
            serde_json::json!(4),
        ];
        let posted: Vec<Posted<'_>> = [1, 2, 3, 1]
            .iter()
            .zip(&ctx)
            .map(|(&task_id, context)| Posted {
                task_id,
                context,
                elapsed_ms: None,
                lease_id: None,
            })
            .collect();
        let tasks = [held(1, Some("a")), held(2, Some("a")), held(3, Some("b"))];
        let finalize = |_: &str, i: usize| {
            (
                Status::Success,
                if i == 1 {
                    Severity::Critical
                } else {
                    Severity::Ok
                },
            )
        };
        let now = DateTime::from_timestamp_millis(1_000_000).unwrap();
        let got = accept("a", &tasks, &posted, &finalize, &Rules::default(), now);
        assert_eq!(
            got.iter()
                .map(|a| (a.task_id, a.context.clone()))
                .collect::<Vec<_>>(),
            [(2, serde_json::json!(2)), (1, serde_json::json!(4))]
        );
        assert_eq!(
            (got[0].severity, got[0].first, got[1].first),
            (Severity::Critical, false, true)
        );
        assert!(got.iter().all(|a| a.next_run > now));
    }

    #[test]
    fn a_result_naming_its_lease_needs_that_very_lease() {
        let task = held(1, Some("a"));
        assert!(is_held(&task, "a", None), "no lease named: the holder's");
        assert!(is_held(&task, "a", Some("a-lease")));
        assert!(!is_held(&task, "a", Some("an-earlier-lease")));
        assert!(!is_held(&task, "b", Some("a-lease")), "not b's task");
        assert!(!is_held(&held(1, None), "a", None), "not leased");
    }
}

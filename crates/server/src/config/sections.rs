//! The small top-level sections: `service` (agent tokens), `ssl` (certificate expiry
//! thresholds) and `recurring_tasks` (the maintenance loop), reference §1.5–1.7.

use std::time::Duration;

use argos_checks::{Severity, Threshold};

use super::problem::Problems;
use super::reader::{self, Section, index};
use super::yaml::{Node, Value};

/// The reference's floor for `max_lock_seconds`: the agent's request timeout is 60 s, so a
/// shorter lock would be released while the agent still works on the task.
const MIN_LOCK_SECONDS: i64 = 60;
/// What a too-short `max_lock_seconds` becomes (the reference's value, not 61).
pub const DEFAULT_MAX_LOCK_SECONDS: u64 = 100;
/// What a `time_without_agent` below one minute becomes, in minutes.
pub const DEFAULT_TIME_WITHOUT_AGENT_MINUTES: u64 = 5;
/// The longest `max_lock_seconds`: a day. A lease outlives the checks it covers (at most a
/// minute each) by far; a longer one only keeps a task from an agent that died with it.
pub const MAX_LOCK_SECONDS: i64 = 86_400;
/// The longest `time_without_agent`, in minutes: a year.
pub const MAX_TIME_WITHOUT_AGENT_MINUTES: i64 = 366 * 24 * 60;

/// `service`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Bearer tokens agents authenticate with.
    pub secrets: Vec<String>,
}

/// `ssl`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ssl {
    /// Sorted by ascending `days`.
    pub thresholds: Vec<Threshold>,
}

/// `recurring_tasks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringTasks {
    /// Results older than this are deleted.
    pub max_results_age: Duration,
    /// A task lock older than this is released (always > 60).
    pub max_lock_seconds: u64,
    /// The `no_agent` alert fires when no agent reported for this long (≥ 1 minute).
    pub time_without_agent: Duration,
}

pub(crate) fn read_service(node: &Node, p: &mut Problems) -> Service {
    let sec = Section::new(node, "service", &["secrets"], p);
    let Some(map) = sec.node() else {
        return Service::default();
    };
    let secrets = match sec.get("secrets") {
        Some(n) => reader::strings(n, &sec.path("secrets"), p).unwrap_or_default(),
        // The reference example's list holds only comments, so it is null: say so, don't fail.
        None => {
            let message = "no secret: only agents with their own token (`argos server agent-token add`) can authenticate (generate a shared one with `argos server generate-token`)";
            match map.get("secrets") {
                Some(value) => p.warn(value, "service.secrets", message),
                None => p.error(
                    map,
                    "service.secrets",
                    "missing (this key is required; it may be an empty list)",
                ),
            }
            Vec::new()
        }
    };
    Service { secrets }
}

pub(crate) fn read_ssl(node: &Node, p: &mut Problems) -> Ssl {
    let sec = Section::new(node, "ssl", &["thresholds"], p);
    let path = sec.path("thresholds");
    let Some(items) = sec
        .required("thresholds", p)
        .and_then(|n| reader::list(n, &path, p))
    else {
        return Ssl::default();
    };
    let mut thresholds: Vec<Threshold> = items
        .iter()
        .enumerate()
        .filter_map(|(i, n)| threshold(n, &index(&path, i), p))
        .collect();
    thresholds.sort_by(|a, b| a.days.total_cmp(&b.days));
    Ssl { thresholds }
}

/// One `- "<duration>": <severity>` item.
fn threshold(node: &Node, path: &str, p: &mut Problems) -> Option<Threshold> {
    let entry = reader::one_key_item(
        node,
        path,
        "threshold",
        "\"<duration>\": <severity>",
        "\"5d\": warning",
        p,
    )?;
    let key = Node {
        value: Value::Str(entry.key.clone()),
        file: node.file.clone(),
        line: entry.line,
    };
    let days = reader::duration(&key, path, p).map(|d| d.as_secs_f64() / 86_400.0);
    let severity = severity(&entry.value, path, p);
    Some(Threshold {
        days: days?,
        severity: severity?,
    })
}

fn severity(node: &Node, path: &str, p: &mut Problems) -> Option<Severity> {
    let text = reader::string(node, path, p)?;
    match Severity::parse(&text) {
        Some(Severity::Ok) | None => {
            let hint = if text == "error" {
                " (`error` is not a severity: use critical)"
            } else {
                ""
            };
            p.error(
                node,
                path,
                format!("unknown severity {text:?}{hint} (valid: warning, critical, unknown)"),
            );
            None
        }
        Some(severity) => Some(severity),
    }
}

pub(crate) fn read_recurring(node: Option<&Node>, p: &mut Problems) -> RecurringTasks {
    let keys = &["max_results_age", "max_lock_seconds", "time_without_agent"];
    let sec = Section::open(node, "recurring_tasks", keys, p);
    let max_results_age = sec
        .req("max_results_age", p, reader::duration)
        .unwrap_or(Duration::from_secs(86_400));
    let lock = sec.required("max_lock_seconds", p).and_then(|n| {
        let path = sec.path("max_lock_seconds");
        let seconds = reader::integer(n, &path, p)?;
        if seconds > MAX_LOCK_SECONDS {
            p.error(n, &path, format!("must be at most {MAX_LOCK_SECONDS} (a day), got {seconds}"));
            return None;
        }
        if seconds <= MIN_LOCK_SECONDS {
            let message = format!("{seconds} is not above {MIN_LOCK_SECONDS} (the agents' request timeout): using {DEFAULT_MAX_LOCK_SECONDS}");
            p.warn(n, &path, message);
            return Some(DEFAULT_MAX_LOCK_SECONDS);
        }
        u64::try_from(seconds).ok()
    });
    let minutes = sec.required("time_without_agent", p).and_then(|n| {
        let path = sec.path("time_without_agent");
        let minutes = reader::integer(n, &path, p)?;
        if minutes > MAX_TIME_WITHOUT_AGENT_MINUTES {
            let message = format!(
                "must be at most {MAX_TIME_WITHOUT_AGENT_MINUTES} minutes (a year), got {minutes}"
            );
            p.error(n, &path, message);
            return None;
        }
        if minutes < 1 {
            let message = format!(
                "{minutes} is below one minute: using {DEFAULT_TIME_WITHOUT_AGENT_MINUTES}"
            );
            p.warn(n, &path, message);
            return Some(DEFAULT_TIME_WITHOUT_AGENT_MINUTES);
        }
        u64::try_from(minutes).ok()
    });
    let minutes = minutes.unwrap_or(DEFAULT_TIME_WITHOUT_AGENT_MINUTES);
    RecurringTasks {
        max_results_age,
        max_lock_seconds: lock.unwrap_or(DEFAULT_MAX_LOCK_SECONDS),
        time_without_agent: Duration::from_secs(minutes.saturating_mul(60)),
    }
}

//! The store's domain types: what goes in (desired tasks, finished checks) and what the pages
//! and APIs read back. Plain data; no SQL here.

use argos_checks::{IpVersion, Method, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One desired task from the config (built by `plan`).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// Stable identity: hex SHA-256 of (url, method, request_data, check, expected, ip_version,
    /// and request_options when set).
    pub key: String,
    /// Tasks sending the same request share a group; the agent sends it once.
    pub task_group: String,
    /// The website's domain, with its trailing slash (`https://example.org/`).
    pub domain: String,
    /// `host[:port]` of `url`: what the domain pages group by.
    pub netloc: String,
    /// The URL checked.
    pub url: String,
    /// HTTP method.
    pub method: Method,
    /// JSON text `{"data","json","headers"}`, as the reference stores it.
    pub request_data: Option<String>,
    /// JSON text of the path's [`argos_checks::RequestOptions`] (`None`: the agent's defaults).
    pub request_options: Option<String>,
    /// Check name (`status-is`, ...).
    pub check: String,
    /// The check's expectation, as text.
    pub expected: String,
    /// IP family.
    pub ip_version: IpVersion,
    /// Normal period, seconds.
    pub frequency_s: f64,
    /// Early re-check delay after a non-ok result, seconds.
    pub recheck_delay_s: Option<f64>,
    /// Failures tolerated before alerting.
    pub retry_before_notification: i32,
    /// JSON list of extra alert channels.
    pub add_alerts_recipients: Option<String>,
    /// JSON list of alert channels replacing the defaults.
    pub overwrite_alerts_recipients: Option<String>,
}

/// What `sync_tasks` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct SyncStats {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
}

/// One finished check, its status and severity already finalized.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Finished {
    pub task_id: i64,
    pub status: Status,
    pub severity: Severity,
    pub context: serde_json::Value,
    pub elapsed_ms: Option<f64>,
}

/// One accepted result and the severity change it caused (what alerting needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// The task.
    pub task_id: i64,
    /// The stored result.
    pub result_id: i64,
    /// The task's severity before this result.
    pub previous: Severity,
    /// The task's severity now.
    pub severity: Severity,
    /// This is the task's first result ever.
    pub first: bool,
    /// It raised an alert (written to the outbox).
    pub alerted: bool,
}

/// An agent that polled or posted results.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AgentRow {
    pub name: String,
    /// Its latest lease or report (agents poll while idle).
    pub last_seen: DateTime<Utc>,
    pub last_result: Option<DateTime<Utc>>,
    /// Its User-Agent, when it sent one.
    pub version: Option<String>,
    /// The hour `results_in_hour` counts.
    pub results_hour: Option<DateTime<Utc>>,
    pub results_in_hour: i64,
    pub results_prev_hour: i64,
}

impl AgentRow {
    /// Results in the hour before `now`: this hour's count plus the part of the previous
    /// hour's that falls in the window (assuming a steady rate within it).
    pub fn results_last_hour(&self, now: DateTime<Utc>) -> i64 {
        let Some(hour) = self.results_hour else {
            return 0;
        };
        let elapsed = (now - hour).num_milliseconds();
        let hour_ms = 3_600_000;
        match elapsed {
            e if e < 0 => 0,
            e if e < hour_ms => {
                let previous = self.results_prev_hour as f64 * (1.0 - e as f64 / hour_ms as f64);
                self.results_in_hour + previous.round() as i64
            }
            e if e < 2 * hour_ms => {
                let share = 1.0 - (e - hour_ms) as f64 / hour_ms as f64;
                (self.results_in_hour as f64 * share).round() as i64
            }
            _ => 0,
        }
    }
}

/// Number of tasks per current severity.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[allow(missing_docs)]
pub struct SeverityCounts {
    pub ok: i64,
    pub warning: i64,
    pub critical: i64,
    pub unknown: i64,
}

impl SeverityCounts {
    /// Adds `n` tasks of `severity`.
    pub(crate) fn add(&mut self, severity: Severity, n: i64) {
        match severity {
            Severity::Ok => self.ok += n,
            Severity::Warning => self.warning += n,
            Severity::Critical => self.critical += n,
            Severity::Unknown => self.unknown += n,
        }
    }
}

/// Which tasks the domains page counts (it filters tasks, then groups them by netloc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainFilter {
    /// Every task.
    All,
    /// Tasks whose severity is not ok.
    NotOk,
    /// Tasks of one severity.
    Only(Severity),
}

/// How the domains page is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DomainSort {
    /// Worst severity first, then by name.
    #[default]
    Severity,
    /// By name.
    Name,
    /// Least recently checked first.
    LastCheck,
}

/// One row of the domains page: the tasks of one netloc.
#[derive(Debug, Clone, Serialize)]
pub struct DomainRow {
    /// `host[:port]`.
    pub netloc: String,
    /// The worst severity among its (filtered) tasks.
    pub worst: Severity,
    /// Distinct severities, worst first.
    pub severities: Vec<Severity>,
    /// Number of (filtered) tasks.
    pub tasks: i64,
    /// The latest result time over its tasks.
    pub last_check: Option<DateTime<Utc>>,
}

/// A page of domains, worst first then by netloc.
#[derive(Debug, Clone, Serialize)]
pub struct DomainsPage {
    /// This page's rows.
    pub rows: Vec<DomainRow>,
    /// Domains matching the filter, on every page.
    pub total_domains: i64,
    /// Tasks matching the filter, on every page.
    pub total_tasks: i64,
}

/// A task as the pages show it (its latest result denormalised onto it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[allow(missing_docs)]
pub struct TaskView {
    pub id: i64,
    pub url: String,
    pub domain: String,
    pub netloc: String,
    #[schema(value_type = crate::web::docs::wire::IpVersion)]
    pub ip_version: IpVersion,
    pub check: String,
    pub expected: String,
    #[schema(value_type = crate::web::docs::wire::Method)]
    pub method: Method,
    #[schema(value_type = crate::web::docs::wire::Severity)]
    pub severity: Severity,
    #[schema(value_type = Option<crate::web::docs::wire::Status>)]
    pub last_status: Option<Status>,
    pub last_result_id: Option<i64>,
    pub last_run: Option<DateTime<Utc>>,
    pub last_elapsed_ms: Option<f64>,
    pub next_run: DateTime<Utc>,
    pub leased_by: Option<String>,
    pub frequency_s: f64,
}

/// One stored result.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct ResultView {
    pub id: i64,
    pub task_id: i64,
    pub agent_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub status: Status,
    pub severity: Severity,
    pub context: serde_json::Value,
    pub elapsed_ms: Option<f64>,
}

/// `GET /api/stats`, with the reference's counting bug fixed.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// Tasks due and not under a live lease.
    pub upcoming_tasks_count: i64,
    /// Stored results. Read in constant time, never by counting them: exact on SQLite (a
    /// count kept by triggers); on PostgreSQL an estimate from each day partition's
    /// statistics (`pg_class`, kept by autovacuum, scaled to the partition's current size),
    /// exact up to 100,000 per partition before its first analyze.
    pub results_count: i64,
    /// Tasks under a live lease.
    pub selected_tasks_count: i64,
}

//! SQL that is the same text on both backends (`$n` placeholders work on SQLite too). Only the
//! bound time values differ: `timestamptz` on PostgreSQL, unix milliseconds on SQLite.
//!
//! Every query here reads `argos_tasks` or one task's slice of `argos_results` through an
//! index; the page queries never aggregate over results (the latest result is denormalised
//! onto the task).

/// Columns of [`super::rows::task_view`].
macro_rules! task_view_cols {
    () => {
        "id, url, domain, netloc, ip_version, check_name, expected, method, severity, last_status, \
         last_result_id, last_run, last_elapsed_ms, next_run, leased_by, frequency_s"
    };
}

/// Columns of [`super::rows::wire_task`].
macro_rules! wire_task_cols {
    () => {
        "id, url, domain, ip_version, check_name, method, request_data, request_options, \
         add_alerts_recipients, overwrite_alerts_recipients, expected, task_group, \
         retry_before_notification, contiguous_failures"
    };
}
pub(crate) use wire_task_cols;

/// Columns of [`super::rows::held`].
macro_rules! held_cols {
    () => {
        "id, leased_by, check_name, severity, already_retried, frequency_s, recheck_delay_s, task_group, \
         last_result_id, domain, netloc, url, ip_version, alert_state, contiguous_failures"
    };
}
pub(crate) use held_cols;

/// Columns of [`super::rows::result_view`].
macro_rules! result_cols {
    () => {
        "id, task_id, agent_id, submitted_at, status, severity, context, elapsed_ms"
    };
}

macro_rules! domain_tasks {
    ($collate:literal) => {
        concat!(
            "SELECT ",
            task_view_cols!(),
            " FROM argos_tasks WHERE netloc = $1 ORDER BY url ",
            $collate,
            ", check_name ",
            $collate,
            ", ip_version"
        )
    };
}
pub(crate) const DOMAIN_TASKS_PG: &str = domain_tasks!("COLLATE \"C\"");
pub(crate) const DOMAIN_TASKS_SQLITE: &str = domain_tasks!("COLLATE BINARY");

pub(crate) const TASK: &str = concat!(
    "SELECT ",
    task_view_cols!(),
    " FROM argos_tasks WHERE id = $1"
);

pub(crate) const RESULT: &str = concat!(
    "SELECT ",
    result_cols!(),
    " FROM argos_results WHERE id = $1"
);

/// Keyset pagination: `$2` is the last id of the previous page (i64::MAX for the first).
pub(crate) const TASK_RESULTS: &str = concat!(
    "SELECT ",
    result_cols!(),
    " FROM argos_results WHERE task_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
);

pub(crate) const AGENTS: &str = "SELECT name, last_seen, last_result, version, results_hour, \
     results_in_hour, results_prev_hour FROM argos_agents ORDER BY name";

/// An agent polled: it is alive even if it had nothing to do (the reference only counted
/// agents that posted results). `$3` is its version (User-Agent), kept when not given.
pub(crate) const TOUCH_AGENT: &str = "INSERT INTO argos_agents (name, first_seen, last_seen, version) \
     VALUES ($1, $2, $2, $3) ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen, \
     version = coalesce(excluded.version, argos_agents.version)";

/// An agent posted `$5` results at `$2`, in the hour starting at `$3` (the previous one
/// started at `$4`): the hour counters roll over when the hour changed.
pub(crate) const AGENT_POSTED: &str = "INSERT INTO argos_agents \
       (name, first_seen, last_seen, last_result, results_hour, results_in_hour, results_prev_hour) \
     VALUES ($1, $2, $2, $2, $3, $5, 0) \
     ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen, last_result = excluded.last_result, \
       results_prev_hour = CASE WHEN argos_agents.results_hour = $3 THEN argos_agents.results_prev_hour \
         WHEN argos_agents.results_hour = $4 THEN argos_agents.results_in_hour ELSE 0 END, \
       results_in_hour = CASE WHEN argos_agents.results_hour = $3 \
         THEN argos_agents.results_in_hour + $5 ELSE $5 END, \
       results_hour = $3";

/// The start of the hour of `now`, and of the hour before.
pub(crate) fn hours(
    now: chrono::DateTime<chrono::Utc>,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::{DurationRound, TimeDelta};
    let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
    (hour, hour - TimeDelta::hours(1))
}

pub(crate) const SEVERITY_COUNTS: &str =
    "SELECT severity, count(*) AS n FROM argos_tasks GROUP BY severity";

/// Due (`next_run <= $1`) and not under a live lease; the same predicate `lease` uses.
macro_rules! waiting {
    () => {
        "next_run <= $1 AND (lease_until IS NULL OR lease_until < $1)"
    };
}
pub(crate) use waiting;

/// The earliest `next_run` among tasks due and not leased: how far behind the agents are.
pub(crate) const OLDEST_WAITING: &str = concat!(
    "SELECT min(next_run) AS oldest FROM argos_tasks WHERE ",
    waiting!()
);

pub(crate) const WAITING_COUNT: &str =
    concat!("SELECT count(*) AS n FROM argos_tasks WHERE ", waiting!());

pub(crate) const STATS: &str = concat!(
    "SELECT (SELECT count(*) FROM argos_tasks WHERE ",
    waiting!(),
    ") AS upcoming, (SELECT count(*) FROM argos_results) AS results, \
     (SELECT count(*) FROM argos_tasks WHERE lease_until >= $1) AS selected"
);

/// Retention keeps each task's latest result, however old, so that a task whose frequency
/// exceeds the retention still shows its state (reference §10.2.19).
pub(crate) const PURGE_RESULTS: &str = "DELETE FROM argos_results WHERE submitted_at < $1 \
     AND id NOT IN (SELECT last_result_id FROM argos_tasks WHERE last_result_id IS NOT NULL)";

pub(crate) const RESCHEDULE_NON_OK: &str =
    "UPDATE argos_tasks SET next_run = $1 WHERE severity <> 'ok' AND next_run > $1";
pub(crate) const RECHECK_TASK: &str =
    "UPDATE argos_tasks SET next_run = $1 WHERE id = $2 AND next_run > $1";
pub(crate) const RECHECK_DOMAIN: &str =
    "UPDATE argos_tasks SET next_run = $1 WHERE netloc = $2 AND next_run > $1";

/// What the sync diff needs of every stored task.
pub(crate) const SYNC_LOAD: &str = "SELECT id, task_key, task_group, domain, netloc, frequency_s, recheck_delay_s, \
     retry_before_notification, add_alerts_recipients, overwrite_alerts_recipients FROM argos_tasks";

/// `$1` for the domains filter.
pub(crate) fn filter_arg(filter: super::DomainFilter) -> &'static str {
    match filter {
        super::DomainFilter::All => "all",
        super::DomainFilter::NotOk => "not-ok",
        super::DomainFilter::Only(s) => s.as_str(),
    }
}

/// `$2` for the domains filter: a case-insensitive substring pattern, wildcards escaped.
pub(crate) fn search_arg(search: Option<&str>) -> String {
    let mut pattern = String::from("%");
    for c in search.unwrap_or("").to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    if pattern.len() > 1 {
        pattern.push('%');
    }
    pattern
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_patterns_escape_like_wildcards() {
        assert_eq!(super::search_arg(None), "%");
        assert_eq!(super::search_arg(Some("Ex_a%")), "%ex\\_a\\%%");
    }
}

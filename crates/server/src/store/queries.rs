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
         last_result_id, last_run, last_elapsed_ms, scheduled AS next_run, leased_by, frequency_s"
    };
}

/// A task with its run state (`argos_task_runs`: due time and lease, kept apart because they
/// change at every lease and result; see migration 0010).
macro_rules! with_runs {
    () => {
        "argos_tasks JOIN argos_task_runs ON argos_task_runs.task_id = argos_tasks.id"
    };
}
pub(crate) use with_runs;

/// Columns of [`super::rows::wire_task`].
macro_rules! wire_task_cols {
    () => {
        "id, url, domain, ip_version, check_name, method, request_data, request_options, \
         add_alerts_recipients, overwrite_alerts_recipients, expected, task_group, \
         retry_before_notification, contiguous_failures, lease_id"
    };
}
pub(crate) use wire_task_cols;

/// Columns of [`super::rows::held`].
macro_rules! held_cols {
    () => {
        "id, leased_by, check_name, severity, already_retried, frequency_s, recheck_delay_s, task_group, \
         last_result_id, domain, netloc, url, ip_version, alert_state, contiguous_failures, lease_id"
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
            " FROM ",
            with_runs!(),
            " WHERE netloc = $1 ORDER BY url ",
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
    " FROM ",
    with_runs!(),
    " WHERE id = $1"
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

/// Due (`next_run <= $1`) and not under a live lease; the same predicate `lease` uses, over
/// `argos_task_runs`. (A lease moves `next_run` to its end, so the first half alone bounds the
/// index range to the tasks actually waiting; the second keeps a lease's last instant its
/// own.)
macro_rules! waiting {
    () => {
        "next_run <= $1 AND (lease_until IS NULL OR lease_until < $1)"
    };
}
pub(crate) use waiting;

/// The earliest `next_run` among tasks due and not leased: how far behind the agents are.
pub(crate) const OLDEST_WAITING: &str = concat!(
    "SELECT min(scheduled) AS oldest FROM argos_task_runs WHERE ",
    waiting!()
);

pub(crate) const WAITING_COUNT: &str = concat!(
    "SELECT count(*) AS n FROM argos_task_runs WHERE ",
    waiting!()
);

/// `/api/stats` with `$results` as the number of results: counting a year of them at every
/// call would read the whole table, so each backend reads it in O(1) (see [`Stats`]).
///
/// [`Stats`]: super::Stats
macro_rules! stats {
    ($results:literal) => {
        concat!(
            "SELECT (SELECT count(*) FROM argos_task_runs WHERE ",
            waiting!(),
            ") AS upcoming, (",
            $results,
            ") AS results, (SELECT count(*) FROM argos_task_runs WHERE lease_until >= $1) AS selected"
        )
    };
}

/// Each partition's statistics, summed by the function of migration 0011 (a partitioned
/// table has none of its own).
pub(crate) const STATS_PG: &str = stats!("SELECT argos_results_estimate()");

/// The count the triggers of migration 0008 keep.
pub(crate) const STATS_SQLITE: &str = stats!("SELECT n FROM argos_counts WHERE name = 'results'");

/// Which [`stats!`] query a backend's pool runs.
pub(crate) trait StatsQuery {
    const STATS: &'static str;
}

impl StatsQuery for sqlx::PgPool {
    const STATS: &'static str = STATS_PG;
}

impl StatsQuery for sqlx::SqlitePool {
    const STATS: &'static str = STATS_SQLITE;
}

/// Retention keeps each task's latest result, however old, so that a task whose frequency
/// exceeds the retention still shows its state (reference §10.2.19). At most `$2` results
/// older than `$1`, the oldest first: SQLite's batches, and PostgreSQL's default partition
/// (whose table name replaces `argos_results` there).
macro_rules! purge_results {
    ($table:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " WHERE id IN (SELECT id FROM ",
            $table,
            " WHERE submitted_at < $1 \
               AND id NOT IN (SELECT last_result_id FROM argos_tasks WHERE last_result_id IS NOT NULL) \
               ORDER BY submitted_at LIMIT $2)"
        )
    };
}
pub(crate) const PURGE_RESULTS_BATCH: &str = purge_results!("argos_results");
pub(crate) const PURGE_DEFAULT_PARTITION: &str = purge_results!("argos_results_default");

/// Manual reschedules move what is not under a lease (a leased task is being checked, and
/// its `next_run` is its lease's end); `scheduled` moves with `next_run`.
macro_rules! reschedule {
    ($tasks:literal) => {
        concat!(
            "UPDATE argos_task_runs SET next_run = $1, scheduled = $1 \
             WHERE next_run > $1 AND lease_until IS NULL AND task_id IN (SELECT id FROM argos_tasks WHERE ",
            $tasks,
            ")"
        )
    };
}
pub(crate) const RESCHEDULE_NON_OK: &str = reschedule!("severity <> 'ok'");
pub(crate) const RECHECK_TASK: &str = reschedule!("id = $2");
pub(crate) const RECHECK_DOMAIN: &str = reschedule!("netloc = $2");

/// The run state of tasks just added by a sync: due at once (`created_at` is the sync's
/// `now`).
pub(crate) const ADD_RUNS: &str = "INSERT INTO argos_task_runs (task_id, next_run, scheduled) \
     SELECT id, created_at, created_at FROM argos_tasks \
     WHERE id NOT IN (SELECT task_id FROM argos_task_runs)";

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
    /// `/api/stats` must stay cheap at a year of results: its SQLite query reads no row of
    /// the results table (a `count(*)` read all of them, through an index).
    #[tokio::test]
    async fn sqlite_stats_read_no_result() {
        let store = crate::store::Store::connect("sqlite::memory:", 1)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let crate::store::Inner::Sqlite(pool) = &store.inner else {
            unreachable!("an SQLite store")
        };
        let explain = format!("EXPLAIN QUERY PLAN {}", super::STATS_SQLITE);
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(explain))
            .bind(0_i64)
            .fetch_all(pool)
            .await
            .unwrap();
        let steps: Vec<&str> = plan.iter().map(|step| step.3.as_str()).collect();
        assert!(
            steps.iter().all(|s| !s.contains("argos_results")),
            "{steps:?}"
        );
        assert!(
            steps.iter().any(|s| s.contains("argos_counts")),
            "{steps:?}"
        );
    }

    #[test]
    fn search_patterns_escape_like_wildcards() {
        assert_eq!(super::search_arg(None), "%");
        assert_eq!(super::search_arg(Some("Ex_a%")), "%ex\\_a\\%%");
    }
}

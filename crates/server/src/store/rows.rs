//! Reading rows, written once for both backends: a small [`Cols`] trait over `PgRow` and
//! `SqliteRow` (they differ only in how times and JSON are stored), and the mappers from rows
//! to the domain types.

use argos_checks::{IpVersion, Method, RequestOptions, Severity, Status, Task};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::agent_tokens::AgentTokenRow;
use super::alerts::{AlertKind, AlertRecord, Delivery, DeliveryView};
use super::ingest::{Accepted, Held};
use super::model::{AgentRow, DomainRow, DomainsPage, ResultView, SeverityCounts, TaskView};
use super::sync::{Current, Settings};
use super::users::{SessionRow, UserRow};

type R<T> = Result<T, sqlx::Error>;

/// Typed column access, the same on both backends.
pub(crate) trait Cols {
    fn text(&self, c: &str) -> R<String>;
    fn opt_text(&self, c: &str) -> R<Option<String>>;
    fn int(&self, c: &str) -> R<i64>;
    fn opt_int(&self, c: &str) -> R<Option<i64>>;
    fn int32(&self, c: &str) -> R<i32>;
    fn float(&self, c: &str) -> R<f64>;
    fn opt_float(&self, c: &str) -> R<Option<f64>>;
    fn flag(&self, c: &str) -> R<bool>;
    fn opt_time(&self, c: &str) -> R<Option<DateTime<Utc>>>;
    fn json(&self, c: &str) -> R<serde_json::Value>;

    fn time(&self, c: &str) -> R<DateTime<Utc>> {
        self.opt_time(c)?.ok_or_else(|| bad(c, "unexpected NULL"))
    }

    /// A text column holding one of an enum's names.
    fn named<T>(&self, c: &str, parse: fn(&str) -> Option<T>) -> R<T> {
        let s = self.text(c)?;
        parse(&s).ok_or_else(|| bad(c, &format!("unexpected value {s:?}")))
    }

    fn opt_named<T>(&self, c: &str, parse: fn(&str) -> Option<T>) -> R<Option<T>> {
        match self.opt_text(c)? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| bad(c, &format!("unexpected value {s:?}"))),
        }
    }
}

fn bad(column: &str, why: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: why.to_owned().into(),
    }
}

macro_rules! same_on_both {
    () => {
        fn text(&self, c: &str) -> R<String> {
            self.try_get(c)
        }
        fn opt_text(&self, c: &str) -> R<Option<String>> {
            self.try_get(c)
        }
        fn int(&self, c: &str) -> R<i64> {
            self.try_get(c)
        }
        fn opt_int(&self, c: &str) -> R<Option<i64>> {
            self.try_get(c)
        }
        fn int32(&self, c: &str) -> R<i32> {
            self.try_get(c)
        }
        fn float(&self, c: &str) -> R<f64> {
            self.try_get(c)
        }
        fn opt_float(&self, c: &str) -> R<Option<f64>> {
            self.try_get(c)
        }
        fn flag(&self, c: &str) -> R<bool> {
            self.try_get(c)
        }
    };
}

/// PostgreSQL: `timestamptz` and `jsonb`.
impl Cols for PgRow {
    same_on_both!();

    fn opt_time(&self, c: &str) -> R<Option<DateTime<Utc>>> {
        self.try_get(c)
    }

    fn json(&self, c: &str) -> R<serde_json::Value> {
        self.try_get(c)
    }
}

/// SQLite: unix milliseconds and JSON text.
impl Cols for SqliteRow {
    same_on_both!();

    fn opt_time(&self, c: &str) -> R<Option<DateTime<Utc>>> {
        let ms: Option<i64> = self.try_get(c)?;
        ms.map(|ms| DateTime::from_timestamp_millis(ms).ok_or_else(|| bad(c, "time out of range")))
            .transpose()
    }

    fn json(&self, c: &str) -> R<serde_json::Value> {
        let text: String = self.try_get(c)?;
        serde_json::from_str(&text).map_err(|e| bad(c, &e.to_string()))
    }
}

pub(crate) fn task_view(r: &impl Cols) -> R<TaskView> {
    Ok(TaskView {
        id: r.int("id")?,
        url: r.text("url")?,
        domain: r.text("domain")?,
        netloc: r.text("netloc")?,
        ip_version: r.named("ip_version", IpVersion::parse)?,
        check: r.text("check_name")?,
        expected: r.text("expected")?,
        method: r.named("method", Method::parse)?,
        severity: r.named("severity", Severity::parse)?,
        last_status: r.opt_named("last_status", Status::parse)?,
        last_result_id: r.opt_int("last_result_id")?,
        last_run: r.opt_time("last_run")?,
        last_elapsed_ms: r.opt_float("last_elapsed_ms")?,
        next_run: r.time("next_run")?,
        leased_by: r.opt_text("leased_by")?,
        frequency_s: r.float("frequency_s")?,
    })
}

pub(crate) fn result_view(r: &impl Cols) -> R<ResultView> {
    Ok(ResultView {
        id: r.int("id")?,
        task_id: r.int("task_id")?,
        agent_id: r.opt_text("agent_id")?,
        submitted_at: r.time("submitted_at")?,
        status: r.named("status", Status::parse)?,
        severity: r.named("severity", Severity::parse)?,
        context: r.json("context")?,
        elapsed_ms: r.opt_float("elapsed_ms")?,
    })
}

pub(crate) fn agent_row(r: &impl Cols) -> R<AgentRow> {
    Ok(AgentRow {
        name: r.text("name")?,
        last_seen: r.time("last_seen")?,
        last_result: r.opt_time("last_result")?,
        version: r.opt_text("version")?,
        results_hour: r.opt_time("results_hour")?,
        results_in_hour: r.int("results_in_hour")?,
        results_prev_hour: r.int("results_prev_hour")?,
    })
}

/// Bits of the `mask` column of the domains query (see `queries::domains_page!`).
const MASK_BITS: [(i64, Severity); 4] = [
    (8, Severity::Critical),
    (4, Severity::Unknown),
    (2, Severity::Warning),
    (1, Severity::Ok),
];

pub(crate) fn domain_row(r: &impl Cols) -> R<DomainRow> {
    let mask = r.int("mask")?;
    let severities: Vec<Severity> = MASK_BITS
        .iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|(_, s)| *s)
        .collect();
    Ok(DomainRow {
        netloc: r.text("netloc")?,
        worst: *severities
            .first()
            .ok_or_else(|| bad("mask", "a domain without tasks"))?,
        severities,
        tasks: r.int("tasks")?,
        last_check: r.opt_time("last_check")?,
    })
}

/// A freshly leased task, as the agent receives it.
pub(crate) fn wire_task(r: &impl Cols, agent: &str, now: DateTime<Utc>) -> R<Task> {
    Ok(Task {
        id: r.int("id")?,
        url: r.text("url")?,
        domain: r.text("domain")?,
        ip_version: r.named("ip_version", IpVersion::parse)?,
        check: r.text("check_name")?,
        method: r.named("method", Method::parse)?,
        request_data: r.opt_text("request_data")?,
        add_alerts_recipients: r.opt_text("add_alerts_recipients")?,
        overwrite_alerts_recipients: r.opt_text("overwrite_alerts_recipients")?,
        expected: r.text("expected")?,
        task_group: r.text("task_group")?,
        retry_before_notification: r.int32("retry_before_notification")?,
        contiguous_failures: r.int32("contiguous_failures")?,
        selected_at: Some(now),
        selected_by: Some(agent.to_owned()),
        request_options: r
            .opt_text("request_options")?
            .map(|text| {
                RequestOptions::from_text(&text).map_err(|e| bad("request_options", &e.to_string()))
            })
            .transpose()?,
        lease_id: r.opt_text("lease_id")?,
    })
}

/// Decodes rows as they arrive, so that only the decoded values are held at once. Fetching
/// them all first kept every row's raw values alive together: 31 MB of the ~124 MB a reload
/// of 10,000 websites allocated for a moment (heaptrack), for 30,000 tasks.
pub(crate) async fn decode_each<Row, T>(
    rows: impl futures_util::Stream<Item = R<Row>>,
    decode: impl Fn(&Row) -> R<T>,
) -> R<Vec<T>> {
    use futures_util::TryStreamExt;
    rows.and_then(|row| std::future::ready(decode(&row)))
        .try_collect()
        .await
}

pub(crate) fn current(r: &impl Cols) -> R<Current> {
    Ok(Current {
        id: r.int("id")?,
        key: r.text("task_key")?,
        settings: Settings {
            task_group: r.text("task_group")?,
            domain: r.text("domain")?,
            netloc: r.text("netloc")?,
            frequency_s: r.float("frequency_s")?,
            recheck_delay_s: r.opt_float("recheck_delay_s")?,
            retry_before_notification: r.int32("retry_before_notification")?,
            add_alerts_recipients: r.opt_text("add_alerts_recipients")?,
            overwrite_alerts_recipients: r.opt_text("overwrite_alerts_recipients")?,
        },
    })
}

pub(crate) fn held(r: &impl Cols) -> R<Held> {
    Ok(Held {
        id: r.int("id")?,
        leased_by: r.opt_text("leased_by")?,
        lease_id: r.opt_text("lease_id")?,
        check: r.text("check_name")?,
        severity: r.named("severity", Severity::parse)?,
        already_retried: r.flag("already_retried")?,
        frequency_s: r.float("frequency_s")?,
        recheck_delay_s: r.opt_float("recheck_delay_s")?,
        task_group: r.text("task_group")?,
        had_result: r.opt_int("last_result_id")?.is_some(),
        domain: r.text("domain")?,
        netloc: r.text("netloc")?,
        url: r.text("url")?,
        ip_version: r.named("ip_version", IpVersion::parse)?,
        alert_state: r.opt_text("alert_state")?,
        contiguous_failures: r.int32("contiguous_failures")?,
    })
}

pub(crate) fn alert_record(r: &impl Cols) -> R<AlertRecord> {
    Ok(AlertRecord {
        id: r.int("id")?,
        created_at: r.time("created_at")?,
        kind: r.named("kind", AlertKind::parse)?,
        task_id: r.opt_int("task_id")?,
        result_id: r.opt_int("result_id")?,
        netloc: r.opt_text("netloc")?,
        url: r.opt_text("url")?,
        check: r.opt_text("check_name")?,
        ip_version: r.opt_named("ip_version", IpVersion::parse)?,
        previous: r.opt_named("previous", Severity::parse)?,
        severity: r.named("severity", Severity::parse)?,
        since: r.time("since")?,
        detail: r.opt_text("detail")?,
    })
}

/// A claimed delivery: its columns (`delivery_id`, `channel`, `attempts`, `done_targets`)
/// beside its alert's.
pub(crate) fn delivery(r: &impl Cols) -> R<Delivery> {
    let done = match r.opt_text("done_targets")? {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| bad("done_targets", &e.to_string()))?
        }
        None => Vec::new(),
    };
    Ok(Delivery {
        id: r.int("delivery_id")?,
        channel: r.text("channel")?,
        attempts: r.int32("attempts")?,
        done,
        alert: alert_record(r)?,
    })
}

pub(crate) fn delivery_view(r: &impl Cols) -> R<(i64, DeliveryView)> {
    Ok((
        r.int("alert_id")?,
        DeliveryView {
            channel: r.text("channel")?,
            status: r.text("status")?,
            attempts: r.int32("attempts")?,
            last_error: r.opt_text("last_error")?,
            sent_at: r.opt_time("sent_at")?,
            next_attempt_at: r.time("next_attempt_at")?,
        },
    ))
}

/// Rows of `SEVERITY_COUNTS` → every severity, zero when absent.
pub(crate) fn severity_counts<C: Cols>(rows: &[C]) -> R<SeverityCounts> {
    let mut counts = SeverityCounts::default();
    for r in rows {
        counts.add(r.named("severity", Severity::parse)?, r.int("n")?);
    }
    Ok(counts)
}

pub(crate) fn domains_page<C: Cols>(
    rows: &[C],
    (total_domains, total_tasks): (i64, i64),
) -> R<DomainsPage> {
    let rows = rows.iter().map(domain_row).collect::<R<Vec<_>>>()?;
    Ok(DomainsPage {
        rows,
        total_domains,
        total_tasks,
    })
}

/// `RETURNING id, task_id` of a result insert → the ids in the order of `accepted` (each
/// task appears once in a batch, and `RETURNING` order is not guaranteed).
pub(crate) fn ids_in_order<C: Cols>(returned: &[C], accepted: &[Accepted<'_>]) -> R<Vec<i64>> {
    let by_task = returned
        .iter()
        .map(|r| Ok((r.int("task_id")?, r.int("id")?)))
        .collect::<R<std::collections::HashMap<i64, i64>>>()?;
    accepted
        .iter()
        .map(|a| {
            by_task
                .get(&a.task_id)
                .copied()
                .ok_or_else(|| bad("task_id", "an inserted result went missing"))
        })
        .collect()
}

pub(crate) fn user(r: &impl Cols) -> R<UserRow> {
    Ok(UserRow {
        id: r.int("id")?,
        username: r.text("username")?,
        password: r.text("password")?,
        disabled: r.flag("disabled")?,
        last_login_at: r.opt_time("last_login_at")?,
    })
}

pub(crate) fn agent_token(r: &impl Cols) -> R<AgentTokenRow> {
    Ok(AgentTokenRow {
        name: r.text("name")?,
        created_at: r.time("created_at")?,
        last_seen: r.opt_time("last_seen")?,
    })
}

pub(crate) fn session(r: &impl Cols) -> R<SessionRow> {
    Ok(SessionRow {
        username: r.text("username")?,
        user_id: r.opt_int("user_id")?,
        expires_at: r.time("expires_at")?,
        persistent: r.flag("persistent")?,
    })
}

//! Ingestion on PostgreSQL: lock the batch's tasks, store its results, roll them up, write
//! the tasks' new state, in one transaction of a few statements whatever the batch's size.
//!
//! Why each batch goes out as JSON text of at most [`MAX_STATEMENT_BYTES`] per statement:
//! sqlx 0.9.0 does not set `TCP_NODELAY` (launchbadge/sqlx#4335). A statement that does not
//! fit in one `write` (the socket's send buffer starts at 16 KiB: `net.ipv4.tcp_wmem`) goes
//! out in two parts, and Nagle's algorithm holds the second until the server acknowledges
//! the first, which it delays by about 40 ms. The profile of issue 8 (statement durations
//! logged by PostgreSQL, against the client's time) showed three such stalls per batch of
//! 200 results (the results, their roll-ups, the tasks' state: about 150 ms of a batch's
//! 185 ms) while the statements themselves took 5 ms together. Chunks of 30,000 bytes still
//! stalled, 14,000 did not. Splitting the rows costs a round trip per extra statement
//! (a few hundred microseconds).

use std::borrow::Cow;
use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use super::ingest::{self, Accepted, Finalize, NewResult, NewState, Posted};
use super::outbox_pg::insert_alerts;
use super::queries::{self as q, held_cols, with_runs};
use super::{Error, Ingested, rows};
use crate::alerting::Rules;

/// The largest JSON text sent in one statement: under the socket's initial send buffer,
/// with room for the statement's other parameters.
pub(super) const MAX_STATEMENT_BYTES: usize = 12 * 1024;

/// Locked in id order, so that concurrent batches cannot deadlock, and so that no lease or
/// other batch changes the holder between this check and the update.
const HELD: &str = concat!(
    "SELECT ",
    held_cols!(),
    " FROM ",
    with_runs!(),
    " WHERE id = ANY($1) ORDER BY id FOR UPDATE"
);

const INSERT_RESULTS: &str = "INSERT INTO argos_results \
       (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
     SELECT task_id, $2, $3, status, severity, context, elapsed_ms \
     FROM jsonb_to_recordset($1::jsonb) AS x(task_id bigint, status text, severity text, \
       context jsonb, elapsed_ms double precision) \
     RETURNING id, task_id";

/// The run state (`argos_task_runs`: next run, lease cleared) and the latest result on the
/// task, in one statement. The task row's updated columns are covered by no index but
/// `severity`, so while a task's severity stays the same the update is HOT.
const UPDATE_STATE: &str = "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, \
       severity text, last_result_id bigint, last_status text, last_elapsed_ms double precision, \
       next_run timestamptz, already_retried boolean, alert_state text, contiguous_failures integer)), \
     runs AS (UPDATE argos_task_runs r SET next_run = x.next_run, scheduled = x.next_run, \
       leased_by = NULL, lease_until = NULL, lease_id = NULL FROM x WHERE r.task_id = x.id) \
     UPDATE argos_tasks t SET severity = x.severity, last_result_id = x.last_result_id, \
       last_status = x.last_status, last_run = $2, last_elapsed_ms = x.last_elapsed_ms, \
       already_retried = x.already_retried, alert_state = x.alert_state, \
       contiguous_failures = x.contiguous_failures \
     FROM x WHERE t.id = x.id";

pub(crate) async fn ingest(
    pool: &PgPool,
    agent: &str,
    posted: &[Posted<'_>],
    finalize: Finalize<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Vec<Ingested>, Error> {
    if posted.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = posted.iter().map(|p| p.task_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut tx = pool.begin().await?;
    let held = sqlx::query(HELD).bind(&ids).fetch_all(&mut *tx).await?;
    let held = held.iter().map(rows::held).collect::<Result<Vec<_>, _>>()?;
    let contexts: Vec<Cow<'_, serde_json::Value>> =
        posted.iter().map(|p| without_nul(p.context)).collect();
    let posted: Vec<Posted<'_>> = posted
        .iter()
        .zip(&contexts)
        .map(|(p, context)| Posted {
            context: context.as_ref(),
            ..*p
        })
        .collect();
    let accepted = ingest::accept(agent, &held, &posted, finalize, rules, now);
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    let result_ids = insert_results(&mut tx, agent, &accepted, now).await?;
    super::rollups_pg::record(&mut tx, &accepted, now).await?;
    update_state(&mut tx, &accepted, &result_ids, now).await?;
    let mut netlocs: Vec<&str> = held.iter().map(|h| h.netloc.as_str()).collect();
    netlocs.sort_unstable();
    netlocs.dedup();
    bookkeeping(&mut tx, agent, &netlocs, accepted.len(), now).await?;
    let alerts = ingest::alerts(&accepted, &result_ids);
    if !alerts.is_empty() {
        insert_alerts(&mut tx, &alerts, now).await?;
    }
    tx.commit().await?;
    Ok(ingest::ingested(&accepted, &result_ids))
}

/// Inserts the accepted results; their ids, in the order of `accepted`.
async fn insert_results(
    tx: &mut Transaction<'static, Postgres>,
    agent: &str,
    accepted: &[Accepted<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    let rows: Vec<NewResult<'_>> = accepted.iter().map(NewResult::from).collect();
    let mut ids = Vec::with_capacity(accepted.len());
    for (range, json) in json_chunks(&rows)? {
        let returned = sqlx::query(INSERT_RESULTS)
            .bind(json)
            .bind(agent)
            .bind(now)
            .fetch_all(&mut **tx)
            .await?;
        ids.extend(rows::ids_in_order(&returned, &accepted[range])?);
    }
    Ok(ids)
}

async fn update_state(
    tx: &mut Transaction<'static, Postgres>,
    accepted: &[Accepted<'_>],
    result_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let states: Vec<NewState<DateTime<Utc>>> = accepted
        .iter()
        .zip(result_ids)
        .map(|(a, &id)| NewState::new(a, id, a.next_run))
        .collect();
    for (_, json) in json_chunks(&states)? {
        sqlx::query(UPDATE_STATE)
            .bind(json)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The domains page's rows of the batch's netlocs, and the agent's counters.
async fn bookkeeping(
    tx: &mut Transaction<'static, Postgres>,
    agent: &str,
    netlocs: &[&str],
    accepted: usize,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(super::domains::REFRESH_PG)
        .bind(netlocs)
        .execute(&mut **tx)
        .await?;
    let (hour, previous) = q::hours(now);
    sqlx::query(q::AGENT_POSTED)
        .bind(agent)
        .bind(now)
        .bind(hour)
        .bind(previous)
        .bind(accepted as i64)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `rows` as JSON arrays of at most [`MAX_STATEMENT_BYTES`] each (a single row larger than
/// that goes alone), with the range of `rows` each one holds.
pub(super) fn json_chunks<T: Serialize>(rows: &[T]) -> Result<Vec<(Range<usize>, String)>, Error> {
    let mut chunks = Vec::new();
    let (mut start, mut json) = (0, String::from("["));
    for (i, row) in rows.iter().enumerate() {
        let item =
            serde_json::to_string(row).map_err(|e| Error::Db(sqlx::Error::Encode(e.into())))?;
        if i > start && json.len() + item.len() + 2 > MAX_STATEMENT_BYTES {
            json.push(']');
            chunks.push((start..i, std::mem::replace(&mut json, String::from("["))));
            start = i;
        }
        if i > start {
            json.push(',');
        }
        json.push_str(&item);
    }
    if start < rows.len() {
        json.push(']');
        chunks.push((start..rows.len(), json));
    }
    Ok(chunks)
}

/// PostgreSQL's `jsonb` rejects `\u0000` in strings; an agent may well report a body
/// excerpt holding one. Replace it rather than fail the whole batch.
fn without_nul(v: &serde_json::Value) -> Cow<'_, serde_json::Value> {
    fn has_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(has_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    fn replace(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => serde_json::Value::String(s.replace('\0', "\u{FFFD}")),
            serde_json::Value::Array(a) => a.iter().map(replace).collect(),
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, v)| (k.replace('\0', "\u{FFFD}"), replace(v)))
                .collect(),
            other => other.clone(),
        }
    }
    if has_nul(v) {
        Cow::Owned(replace(v))
    } else {
        Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_chunks_stay_under_the_segment_and_keep_every_row() {
        let rows: Vec<String> = (0..300).map(|i| format!("{i:0>400}")).collect();
        let chunks = json_chunks(&rows).unwrap();
        assert!(chunks.len() > 1);
        let mut back = Vec::new();
        for (range, json) in &chunks {
            assert!(json.len() <= MAX_STATEMENT_BYTES, "{}", json.len());
            let part: Vec<String> = serde_json::from_str(json).unwrap();
            assert_eq!(part, rows[range.clone()]);
            back.extend(part);
        }
        assert_eq!(back, rows);
        let big = vec!["x".repeat(MAX_STATEMENT_BYTES * 2)];
        assert_eq!(
            json_chunks(&big).unwrap().len(),
            1,
            "a row too big goes alone"
        );
        assert!(json_chunks::<String>(&[]).unwrap().is_empty());
    }
}

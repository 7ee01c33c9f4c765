//! What `/api/stats` and the results purge cost at a few million results (issue 9, item 16).
//!
//! `cargo run --release -p argos-server --example results_bench [-- RESULTS]` seeds an SQLite
//! file (and, with `DATABASE_URL`, a fresh PostgreSQL database) with RESULTS results (default
//! 3,000,000) over 30,000 tasks, then prints: the old `count(*)` against the stats query in
//! use, and on SQLite the old single `DELETE` of half the results against the batched purge
//! (total, and the longest statement, which is how long an ingest may wait for the writer).

use std::time::{Duration, Instant};

use argos_checks::{IpVersion, Method};
use argos_server::store::{Store, TaskSpec};
use chrono::{DateTime, Utc};

const TASKS: i64 = 30_000;

fn spec(i: i64) -> TaskSpec {
    let url = format!("https://site{i}.example/");
    TaskSpec {
        key: format!("{url}|status-is|4"),
        task_group: format!("GET-4-{url}"),
        domain: url.clone(),
        netloc: format!("site{i}.example"),
        url,
        method: Method::Get,
        request_data: None,
        request_options: None,
        check: "status-is".to_owned(),
        expected: "200".to_owned(),
        ip_version: IpVersion::V4,
        frequency_s: 300.0,
        recheck_delay_s: None,
        retry_before_notification: 0,
        add_alerts_recipients: None,
        overwrite_alerts_recipients: None,
    }
}

/// One result every 5 minutes per task, the newest `now`; each task's last one is its latest.
const SEED_SQLITE: &str = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1) \
     INSERT INTO argos_results (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
     SELECT (SELECT min(id) FROM argos_tasks) + i % $2, 'bench', $3 - (($1 - 1 - i) / $2) * 300000, \
       'success', 'ok', '{\"status\": 200}', 12.5 FROM n";
const SEED_PG: &str = "INSERT INTO argos_results (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
     SELECT (SELECT min(id) FROM argos_tasks) + i % $2, 'bench', \
       to_timestamp($3::bigint / 1000.0) - make_interval(secs => (($1 - 1 - i) / $2) * 300), \
       'success', 'ok', '{\"status\": 200}', 12.5 FROM generate_series(0, $1 - 1) AS i";
const LATEST: &str = "UPDATE argos_tasks SET last_result_id = \
     (SELECT max(id) FROM argos_results r WHERE r.task_id = argos_tasks.id)";

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let t = Instant::now();
    let out = f.await;
    (out, t.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let results: i64 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(3_000_000);
    let now = Utc::now();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:///{}", dir.path().join("bench.db").display());
    // `-- RESULTS pg`: PostgreSQL only.
    if std::env::args().nth(2).as_deref() != Some("pg") {
        sqlite(&url, results, now).await?;
    }
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        argos_testkit::postgres::with_database(|url| async move {
            postgres(&url, results, now)
                .await
                .expect("the PostgreSQL run");
        })
        .await;
    }
    Ok(())
}

async fn sqlite(url: &str, results: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    let store = Store::connect(url, 4).await?;
    store.migrate().await?;
    let specs: Vec<TaskSpec> = (0..TASKS).map(spec).collect();
    store.sync_tasks(&specs, now).await?;
    let path = url.trim_start_matches("sqlite:///");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await?;
    let (seeded, took) = timed(
        sqlx::query(SEED_SQLITE)
            .bind(results)
            .bind(TASKS)
            .bind(now.timestamp_millis())
            .execute(&pool),
    )
    .await;
    seeded?;
    sqlx::query(LATEST).execute(&pool).await?;
    println!("SQLite: {results} results over {TASKS} tasks seeded in {took:.1?}");
    let (old, old_took) =
        timed(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM argos_results").fetch_one(&pool))
            .await;
    let (stats, took) = timed(store.stats(now)).await;
    println!(
        "  stats: count(*) {} ({}), stats() {} ({})",
        old?,
        ms(old_took),
        stats?.results_count,
        ms(took)
    );
    // Half of them are older than this.
    let cutoff = now - chrono::Duration::milliseconds(results / TASKS / 2 * 300_000);
    let copy = format!("{path}.copy");
    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{copy}'")))
        .execute(&pool)
        .await?;
    let old_pool = sqlx::SqlitePool::connect(&format!("sqlite://{copy}")).await?;
    let (done, took) = timed(
        sqlx::query(
            "DELETE FROM argos_results WHERE submitted_at < $1 AND id NOT IN \
             (SELECT last_result_id FROM argos_tasks WHERE last_result_id IS NOT NULL)",
        )
        .bind(cutoff.timestamp_millis())
        .execute(&old_pool),
    )
    .await;
    println!(
        "  purge, one DELETE (before): {} results in {} — the writer held all along",
        done?.rows_affected(),
        ms(took)
    );
    let (batch, batch_took) = timed(
        sqlx::query(
            "DELETE FROM argos_results WHERE id IN (SELECT id FROM argos_results WHERE submitted_at < $1 \
             AND id NOT IN (SELECT last_result_id FROM argos_tasks WHERE last_result_id IS NOT NULL) \
             ORDER BY submitted_at LIMIT 2000)",
        )
        .bind(cutoff.timestamp_millis())
        .execute(&pool),
    )
    .await;
    let (done, took) = timed(store.purge_results(cutoff)).await;
    let deleted = batch?.rows_affected() + done?;
    println!(
        "  purge, batches of 2,000 (now): {deleted} results in {took:.1?} with pauses; one batch {}",
        ms(batch_took)
    );
    let (stats, took) = timed(store.stats(now)).await;
    println!(
        "  stats after the purge: {} ({})",
        stats?.results_count,
        ms(took)
    );
    Ok(())
}

async fn postgres(url: &str, results: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    let store = Store::connect(url, 4).await?;
    store.migrate().await?;
    let specs: Vec<TaskSpec> = (0..TASKS).map(spec).collect();
    store.sync_tasks(&specs, now).await?;
    let pool = sqlx::PgPool::connect(url).await?;
    let (seeded, took) = timed(
        sqlx::query(SEED_PG)
            .bind(results)
            .bind(TASKS)
            .bind(now.timestamp_millis())
            .execute(&pool),
    )
    .await;
    seeded?;
    sqlx::query(LATEST).execute(&pool).await?;
    sqlx::query("ANALYZE argos_results").execute(&pool).await?;
    println!("PostgreSQL: {results} results seeded in {took:.1?}");
    let (old, old_took) =
        timed(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM argos_results").fetch_one(&pool))
            .await;
    let (stats, took) = timed(store.stats(now)).await;
    let (again, again_took) = timed(store.stats(now)).await;
    println!(
        "  stats: count(*) {} ({}), stats() {} ({}, then {} warm: {})",
        old?,
        ms(old_took),
        stats?.results_count,
        ms(took),
        again?.results_count,
        ms(again_took)
    );
    let estimate = "SELECT CASE WHEN c.relpages > 0 AND c.reltuples >= 0 \
       THEN (c.reltuples / c.relpages \
         * (pg_relation_size(c.oid) / current_setting('block_size')::bigint))::bigint \
       ELSE -1 END FROM pg_class c WHERE c.oid = 'argos_results'::regclass";
    let (n, took) = timed(sqlx::query_scalar::<_, i64>(estimate).fetch_one(&pool)).await;
    println!("  the results estimate alone: {} ({})", n?, ms(took));
    Ok(())
}

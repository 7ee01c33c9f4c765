//! The cost of leasing and ingesting over 30,000 tasks (10,000 groups of 3), on SQLite and
//! (with `DATABASE_URL`) PostgreSQL (issue 8).
//!
//! Leasing: one `Store::lease` of 100 request groups, median and p95 of 20 calls:
//! - `backlog`: every task due, each call at the same time, so each one skips the groups the
//!   calls before it leased (agents draining a backlog);
//! - `steady`: each call after the previous leases expired, so each one leases the same
//!   earliest groups again.
//!
//! Ingestion: results/s for every task's result posted in batches of 200 (the agent's
//! batch), by 1 caller and by 4 concurrent callers (4 agents, each with its own leases);
//! contexts of about 250 bytes, as a `status-is` check with a few facts sends.
//!
//! ```sh
//! cargo run --release -p argos-server --example lease_bench [-- lease|ingest]
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo run --release -p argos-server --example lease_bench
//! ```

use std::time::{Duration, Instant};

use argos_checks::{IpVersion, Method, Severity, Status};
use argos_server::store::{Finished, Store, TaskSpec};
use chrono::{DateTime, TimeDelta, Utc};

const GROUPS: usize = 10_000;
const CHECKS: [&str; 3] = ["status-is", "body-contains", "ssl-certificate-expiration"];
const CALLS: usize = 20;

fn spec(site: usize, check: &str) -> TaskSpec {
    let url = format!("https://site-{site}.example/");
    TaskSpec {
        key: format!("{url}|{check}"),
        task_group: format!("GET-4-{url}"),
        domain: url.clone(),
        netloc: format!("site-{site}.example"),
        url,
        method: Method::Get,
        request_data: None,
        request_options: None,
        check: check.to_owned(),
        expected: "200".to_owned(),
        ip_version: IpVersion::V4,
        frequency_s: 300.0,
        recheck_delay_s: None,
        retry_before_notification: 0,
        add_alerts_recipients: None,
        overwrite_alerts_recipients: None,
    }
}

async fn seeded(url: &str) -> Store {
    let store = Store::connect(url, 4).await.expect("connecting");
    store.migrate().await.expect("migrating");
    let specs: Vec<TaskSpec> = (0..GROUPS)
        .flat_map(|g| CHECKS.map(|c| spec(g, c)))
        .collect();
    store.sync_tasks(&specs, t0()).await.expect("sync");
    store
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("a valid time")
}

/// Times `CALLS` leases from `now` on; `step` is how far the clock moves between them.
async fn time(
    store: &Store,
    mut now: DateTime<Utc>,
    step: TimeDelta,
    lease_for: Duration,
) -> (f64, f64) {
    let mut ms = Vec::new();
    for _ in 0..CALLS {
        let start = Instant::now();
        let tasks = store
            .lease("bench", 100, lease_for, now)
            .await
            .expect("lease");
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(tasks.len(), 300, "100 groups of 3");
        now += step;
    }
    ms.sort_by(f64::total_cmp);
    (ms[CALLS / 2], ms[CALLS * 95 / 100])
}

/// Rounds of ingestion timed per caller count (after one untimed round: first results).
const INGEST_ROUNDS: i64 = 2;
const BATCH: usize = 200;

fn result(task_id: i64) -> Finished {
    Finished {
        task_id,
        status: Status::Success,
        severity: Severity::Ok,
        context: serde_json::json!({
            "expected": "200", "retrieved": 200, "url": "https://site.example/",
            "headers": {"content-type": "text/html; charset=utf-8", "server": "nginx/1.22.1",
                "cache-control": "no-cache, private"},
            "certificate": {"expires_in_seconds": 7_776_000, "issuer": "CN=Argos bench CA"},
        }),
        elapsed_ms: Some(12.5),
    }
}

/// Leases every task to `callers` agents at `now`, then each agent posts its results in
/// batches of [`BATCH`], the agents concurrently. Returns results per second.
async fn ingest_round(store: &Store, callers: usize, now: DateTime<Utc>) -> f64 {
    let per_agent = u32::try_from(GROUPS / callers).expect("a small count");
    let mut leased = Vec::new();
    for a in 0..callers {
        let agent = format!("bench-{a}");
        let tasks = store
            .lease(&agent, per_agent, Duration::from_secs(600), now)
            .await
            .expect("lease");
        leased.push((agent, tasks));
    }
    let total: usize = leased.iter().map(|(_, t)| t.len()).sum();
    assert_eq!(total, GROUPS * CHECKS.len(), "every task leased");
    let start = Instant::now();
    let posting = leased.into_iter().map(|(agent, tasks)| {
        let store = store.clone();
        tokio::spawn(async move {
            for chunk in tasks.chunks(BATCH) {
                let batch: Vec<Finished> = chunk.iter().map(|t| result(t.id)).collect();
                let done = store.ingest(&agent, &batch, now).await.expect("ingest");
                assert_eq!(done.len(), batch.len());
            }
        })
    });
    for handle in posting.collect::<Vec<_>>() {
        handle.await.expect("a posting task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn bench_ingest(name: &str, url: &str) {
    log_statements(url).await;
    let store = seeded(url).await;
    // Each round after every task's next run (frequency 300 s).
    let mut now = t0() + TimeDelta::seconds(1);
    ingest_round(&store, 1, now).await;
    for callers in [1, 4] {
        let mut rates = Vec::new();
        for _ in 0..INGEST_ROUNDS {
            now += TimeDelta::seconds(301);
            rates.push(ingest_round(&store, callers, now).await);
        }
        let best = rates.iter().copied().fold(0.0, f64::max);
        println!(
            "{name:<10} ingest   {callers} caller(s): {best:8.0} results/s (best of {INGEST_ROUNDS})"
        );
    }
    if url.starts_with("postgres") {
        hot_updates(url).await;
    }
}

/// `ARGOS_BENCH_LOG=1`: PostgreSQL logs every statement of this database with its
/// server-side duration (the profile, where `pg_stat_statements` is not loaded): the time a
/// call takes beyond them is spent between client and server.
async fn log_statements(url: &str) {
    if url.starts_with("postgres") && std::env::var("ARGOS_BENCH_LOG").is_ok() {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url).await.expect("connecting");
        let db: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&mut c)
            .await
            .expect("the database name");
        for set in [
            "log_min_duration_statement = 0",
            "session_preload_libraries = 'auto_explain'",
            "auto_explain.log_min_duration = '10ms'",
        ] {
            let set = format!("ALTER DATABASE {db} SET {set}");
            sqlx::query(sqlx::AssertSqlSafe(set))
                .execute(&mut c)
                .await
                .expect("logging statements");
        }
    }
}

/// How many of the tasks' updates were HOT (heap-only: no new index entries).
async fn hot_updates(url: &str) {
    // Statistics reach the shared counters within a second of a backend going idle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pool = sqlx::PgPool::connect(url).await.expect("connecting");
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables \
         WHERE relname IN ('argos_tasks', 'argos_task_runs') ORDER BY relname",
    )
    .fetch_all(&pool)
    .await
    .expect("pg_stat_user_tables");
    for (table, updates, hot) in rows {
        println!("postgresql {table}: {updates} updates, {hot} HOT");
    }
}

async fn bench(name: &str, url: &str) {
    log_statements(url).await;
    let store = seeded(url).await;
    let start = t0() + TimeDelta::seconds(1);
    let (p50, p95) = time(&store, start, TimeDelta::zero(), Duration::from_secs(600)).await;
    println!("{name:<10} backlog  p50 {p50:6.2} ms  p95 {p95:6.2} ms");
    // After the backlog's leases ended.
    let start = t0() + TimeDelta::seconds(1000);
    let (p50, p95) = time(
        &store,
        start,
        TimeDelta::seconds(1),
        Duration::from_millis(1),
    )
    .await;
    println!("{name:<10} steady   p50 {p50:6.2} ms  p95 {p95:6.2} ms");
}

#[tokio::main]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = |f: &str| format!("sqlite:///{}", dir.path().join(f).display());
    let pg = argos_testkit::postgres::database_url().is_some();
    if what != "ingest" {
        bench("sqlite", &sqlite("lease.db")).await;
        if pg {
            argos_testkit::postgres::with_database(|url| async move {
                bench("postgresql", &url).await;
            })
            .await;
        }
    }
    if what != "lease" {
        bench_ingest("sqlite", &sqlite("ingest.db")).await;
        if pg {
            argos_testkit::postgres::with_database(|url| async move {
                bench_ingest("postgresql", &url).await;
            })
            .await;
        }
    }
}

//! The cost of one `Store::lease` of 100 request groups over 30,000 tasks (10,000 groups of
//! 3), median and p95 of 20 calls, on SQLite and (with `DATABASE_URL`) PostgreSQL:
//!
//! - `backlog`: every task due, each call at the same time, so each one skips the groups the
//!   calls before it leased (agents draining a backlog);
//! - `steady`: each call after the previous leases expired, so each one leases the same
//!   earliest groups again.
//!
//! ```sh
//! cargo run --release -p argos-server --example lease_bench
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo run --release -p argos-server --example lease_bench
//! ```

use std::time::{Duration, Instant};

use argos_checks::{IpVersion, Method};
use argos_server::store::{Store, TaskSpec};
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

async fn bench(name: &str, url: &str) {
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
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = format!("sqlite:///{}", dir.path().join("lease.db").display());
    bench("sqlite", &sqlite).await;
    if argos_testkit::postgres::database_url().is_some() {
        argos_testkit::postgres::with_database(|url| async move {
            bench("postgresql", &url).await;
        })
        .await;
    }
}

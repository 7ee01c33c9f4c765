//! What roll-ups cost at ingest: batches of 200 results (an agent's batch) into a store of
//! 10,000 tasks, through `Store::ingest` (lease check, results, task state, roll-ups, in one
//! transaction). Two passes in the same hour: the first creates each task's hourly and daily
//! buckets, the second adds to them (the steady state: 11 of the 12 results of an hour).

use std::time::{Duration, Instant};

use argos_checks::{IpVersion, Method, Severity, Status};
use argos_server::store::{Finished, Store, TaskSpec};
use chrono::{DateTime, TimeDelta, Utc};

const TASKS: usize = 10_000;
const BATCH: u32 = 200;

fn spec(i: usize) -> TaskSpec {
    let url = format!("https://site{i}.ingest.invalid/");
    TaskSpec {
        key: format!("ingest-{i}"),
        task_group: format!("GET-4-{url}"),
        domain: url.clone(),
        netloc: format!("site{i}.ingest.invalid"),
        url,
        method: Method::Get,
        request_data: None,
        request_options: None,
        check: "status-is".into(),
        expected: "200".into(),
        ip_version: IpVersion::V4,
        frequency_s: 300.0,
        recheck_delay_s: None,
        retry_before_notification: 0,
        add_alerts_recipients: None,
        overwrite_alerts_recipients: None,
    }
}

/// One pass over every task at `now`: the time of each `ingest` call.
async fn pass(store: &Store, now: DateTime<Utc>) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    loop {
        let leased = store
            .lease("bench", BATCH, Duration::from_secs(60), now)
            .await?;
        if leased.is_empty() {
            return Ok(times);
        }
        let results: Vec<Finished> = leased
            .iter()
            .map(|t| Finished {
                task_id: t.id,
                status: Status::Success,
                severity: Severity::Ok,
                context: serde_json::json!({
                    "certificate": {"expires_in_days": 40, "expires_in_seconds": 3_456_000},
                    "timings": {"total_ms": 42.0},
                }),
                elapsed_ms: Some(42.0 + (t.id % 100) as f64),
            })
            .collect();
        let t = Instant::now();
        store.ingest("bench", &results, now).await?;
        times.push(t.elapsed());
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Prints the figures of `label` on a fresh store at `url`.
pub async fn run(label: &str, url: &str) -> anyhow::Result<()> {
    let store = Store::connect(url, 4).await?;
    store.migrate().await?;
    let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse()?;
    let specs: Vec<TaskSpec> = (0..TASKS).map(spec).collect();
    store.sync_tasks(&specs, t0).await?;
    for (name, now) in [
        ("new buckets", t0 + TimeDelta::minutes(1)),
        ("existing buckets", t0 + TimeDelta::minutes(10)),
    ] {
        let times = pass(&store, now).await?;
        let n = times.len();
        let m = median(times);
        println!(
            "ingest, {label}, {name}: {n} batches of {BATCH}, median {:.1} ms per batch = {:.0} results/s",
            m.as_secs_f64() * 1000.0,
            f64::from(BATCH) / m.as_secs_f64()
        );
    }
    Ok(())
}

//! Backends for the contract suite, and small builders shared by its tests.

use std::future::Future;
use std::time::Duration;

use argos_checks::{IpVersion, Method, Severity, Status, Task};
use argos_server::store::{Finished, Ingested, Store, TaskSpec};
use chrono::{DateTime, Utc};

/// Runs `test` on a migrated store in a fresh SQLite file.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite:///{}", dir.path().join("argos.db").display());
    let store = Store::connect(&url, 8).await.expect("connecting to SQLite");
    store.migrate().await.expect("migrating SQLite");
    test(store).await;
}

/// Runs `test` on a migrated store in a fresh PostgreSQL database, dropped afterwards
/// (skipped without `DATABASE_URL`, failing with `CI=true`: see `argos_testkit::postgres`).
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    argos_testkit::postgres::with_database(|url| async move {
        let store = Store::connect(&url, 8)
            .await
            .expect("connecting to the test database");
        store.migrate().await.expect("migrating PostgreSQL");
        test(store).await;
    })
    .await;
}

/// A fixed origin, so that every time in a test is exact (whole milliseconds: SQLite stores
/// milliseconds).
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + seconds, 0).expect("a valid time") // 2026-01-01T00:00:00Z
}

/// A GET task on IPv4 checked every 300 s, in its own request group.
pub fn spec(url: &str, check: &str) -> TaskSpec {
    let netloc = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("an absolute URL");
    TaskSpec {
        key: format!("{url}|{check}|4"),
        task_group: format!("GET-4-{url}"),
        domain: format!("https://{netloc}/"),
        netloc: netloc.to_owned(),
        url: url.to_owned(),
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

/// The same task on IPv6 (its own key and group).
pub fn v6(mut s: TaskSpec) -> TaskSpec {
    s.ip_version = IpVersion::V6;
    s.key = s.key.replace("|4", "|6");
    s.task_group = s.task_group.replace("GET-4-", "GET-6-");
    s
}

pub const LEASE: Duration = Duration::from_secs(60);

/// Leases everything leasable at `now` to `agent`.
pub async fn lease_all(store: &Store, agent: &str, now: DateTime<Utc>) -> Vec<Task> {
    store.lease(agent, 1000, LEASE, now).await.expect("lease")
}

pub fn finished(task_id: i64, severity: Severity) -> Finished {
    let status = match severity {
        Severity::Ok | Severity::Warning => Status::Success,
        Severity::Critical => Status::Failure,
        Severity::Unknown => Status::Error,
    };
    Finished {
        task_id,
        status,
        severity,
        context: serde_json::json!({"n": task_id}),
        elapsed_ms: Some(12.5),
    }
}

/// Leases everything due at `now` to `agent` and reports `severity` for the task `task_id`.
pub async fn run_once(
    store: &Store,
    task_id: i64,
    severity: Severity,
    now: DateTime<Utc>,
) -> Ingested {
    let leased = lease_all(store, "runner", now).await;
    assert!(
        leased.iter().any(|t| t.id == task_id),
        "task {task_id} is not due at {now}"
    );
    let mut got = store
        .ingest("runner", &[finished(task_id, severity)], now)
        .await
        .expect("ingest");
    assert_eq!(
        got.len(),
        1,
        "the result for task {task_id} was not accepted"
    );
    got.remove(0)
}

/// Synced specs' ids, by url and check (the order of `domain_tasks` for one netloc).
pub async fn id_of(store: &Store, netloc: &str, url: &str, check: &str) -> i64 {
    let tasks = store.domain_tasks(netloc).await.expect("domain_tasks");
    tasks
        .iter()
        .find(|t| t.url == url && t.check == check)
        .map(|t| t.id)
        .expect("a synced task")
}

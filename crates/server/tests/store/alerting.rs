//! Alert state through the store: it survives a config change that keeps the task, it waits
//! out a maintenance window, and `retry_before_notification` counts across batches.

use std::path::Path;

use argos_checks::Severity;
use argos_server::alerting::Rules;
use argos_server::config::{LoadOptions, load_str};
use argos_server::store::Store;
use chrono::{DateTime, Utc};

use crate::harness::{at, finished, lease_all, spec};

contract!(
    a_settings_change_keeps_the_alert_state,
    alerts_wait_out_a_maintenance_window,
);

/// Rules for `https://a.example` with `extra` website keys and a `maintenance` section.
fn rules(extra: &str, maintenance: &str) -> Rules {
    let yaml = format!(
        r#"
general:
  db: {{url: "sqlite:///unused.db"}}
  cookie_secret: "0123456789abcdef0123"
  frequency: "5m"
  alerts: {{ok: [local], warning: [local], critical: [local], unknown: [local], no_agent: [local]}}
service: {{secrets: [t]}}
ssl: {{thresholds: [{{"1d": critical}}]}}
recurring_tasks: {{max_results_age: "1d", max_lock_seconds: 100, time_without_agent: 5}}
websites:
  - domain: "https://a.example"
{extra}
    paths: [{{path: "/", checks: [{{status-is: 200}}]}}]
{maintenance}"#
    );
    let cfg = load_str(&yaml, Path::new("rules.yaml"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Rules::new(&cfg)
}

/// Runs the task once at `now` with `severity`; whether it raised an alert.
async fn run(
    store: &Store,
    id: i64,
    severity: Severity,
    rules: &Rules,
    now: DateTime<Utc>,
) -> bool {
    let leased = lease_all(store, "a", now).await;
    assert!(
        leased.iter().any(|t| t.id == id),
        "task {id} is not due at {now}"
    );
    let got = store
        .ingest_with_rules("a", &[finished(id, severity)], rules, now)
        .await
        .unwrap();
    got[0].alerted
}

async fn next(store: &Store, id: i64) -> DateTime<Utc> {
    store.task(id).await.unwrap().next_run
}

async fn a_settings_change_keeps_the_alert_state(store: Store) {
    let mut s = spec("https://a.example/", "status-is");
    store
        .sync_tasks(std::slice::from_ref(&s), at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    store
        .ingest_with_rules(
            "a",
            &[finished(id, Severity::Critical)],
            &rules("", ""),
            at(1),
        )
        .await
        .unwrap();
    // The website's frequency and retries change: same task, same alert state.
    s.frequency_s = 60.0;
    s.retry_before_notification = 3;
    let stats = store
        .sync_tasks(std::slice::from_ref(&s), at(2))
        .await
        .unwrap();
    assert_eq!(stats.updated, 1);
    let r = rules("    retry_before_notification: 3", "");
    let t = next(&store, id).await;
    assert!(
        run(&store, id, Severity::Ok, &r, t).await,
        "the recovery of the alert sent before the change"
    );
    assert_eq!(store.alerts_page(None, 10).await.unwrap().len(), 2);
}

async fn alerts_wait_out_a_maintenance_window(store: Store) {
    // at(0) is 2026-01-01T00:00:00Z; the window covers its first ten minutes.
    let window = "maintenance:\n  - {name: upgrade, start: \"2026-01-01T00:00:00Z\", end: \"2026-01-01T00:10:00Z\"}\n";
    let r = rules("", window);
    assert_eq!(r.maintenance("https://a.example/", at(60)), Some("upgrade"));
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    let ingest = |severity, now| {
        let (store, r) = (store.clone(), r.clone());
        async move {
            store
                .ingest_with_rules("a", &[finished(id, severity)], &r, now)
                .await
                .unwrap()[0]
                .alerted
        }
    };
    assert!(
        !ingest(Severity::Critical, at(60)).await,
        "held during the window"
    );
    let t = next(&store, id).await;
    assert!(t < at(600), "still inside the window at {t}");
    assert!(!run(&store, id, Severity::Critical, &r, t).await);
    let mut t = next(&store, id).await;
    while t < at(600) {
        assert!(!run(&store, id, Severity::Critical, &r, t).await);
        t = next(&store, id).await;
    }
    assert!(
        run(&store, id, Severity::Critical, &r, t).await,
        "after the window, the net change goes out"
    );
    let page = store.alerts_page(None, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(
        (page[0].alert.previous, page[0].alert.severity),
        (Some(Severity::Ok), Severity::Critical)
    );
    assert_eq!(
        page[0].alert.since,
        at(60),
        "critical since the first result in the window"
    );
}

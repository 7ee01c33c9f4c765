//! The alert outbox: alerts written with the results that raise them, routed deliveries,
//! claims that never overlap (also under concurrency), outcomes recorded by the claim's
//! holder only, and the compare-and-set behind the no-agent alert.

use std::collections::HashSet;
use std::path::Path;

use argos_checks::{IpVersion, Severity};
use argos_server::alerting::Rules;
use argos_server::config::{LoadOptions, load_str};
use argos_server::store::{AlertKind, DeliveryOutcome, NewAlert, Store};

use crate::harness::{at, finished, lease_all, spec};

contract!(
    ingest_writes_alerts_with_their_results,
    a_muted_website_records_alerts_without_deliveries,
    claims_are_leases_that_skip_busy_channels,
    only_the_claim_holder_records_outcomes,
    concurrent_claims_never_overlap,
    meta_swaps_once_with_its_alert,
);

/// Rules for `https://a.example/` (R = 0) and `https://muted.example/` (muted), critical
/// alerts to `local` and `webhook:w`, recoveries to `local`.
fn rules() -> Rules {
    let yaml = r#"
general:
  db: {url: "sqlite:///unused.db"}
  cookie_secret: "0123456789abcdef0123"
  frequency: "5m"
  webhooks: {w: {url: "http://127.0.0.1:9/hook"}}
  alerts: {ok: [local], warning: [local], critical: [local, "webhook:w"], unknown: [local], no_agent: [local]}
service: {secrets: [t]}
ssl: {thresholds: [{"1d": critical}]}
recurring_tasks: {max_results_age: "1d", max_lock_seconds: 100, time_without_agent: 5}
websites:
  - domain: "https://a.example"
    paths: [{path: "/", checks: [{status-is: 200}]}]
  - domain: "https://muted.example"
    overwrite_alerts_recipients: []
    paths: [{path: "/", checks: [{status-is: 200}]}]
"#;
    let cfg = load_str(yaml, Path::new("rules.yaml"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Rules::new(&cfg)
}

async fn one_task(store: &Store, url: &str) -> i64 {
    store
        .sync_tasks(&[spec(url, "status-is")], at(0))
        .await
        .unwrap();
    lease_all(store, "a", at(0)).await[0].id
}

async fn ingest_writes_alerts_with_their_results(store: Store) {
    let rules = rules();
    let id = one_task(&store, "https://a.example/").await;
    let got = store
        .ingest_with_rules("a", &[finished(id, Severity::Critical)], &rules, at(1))
        .await
        .unwrap();
    assert!(got[0].alerted);
    let page = store.alerts_page(None, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    let a = &page[0].alert;
    assert_eq!(
        (a.kind, a.task_id, a.result_id, a.previous, a.severity),
        (
            AlertKind::Change,
            Some(id),
            Some(got[0].result_id),
            Some(Severity::Ok),
            Severity::Critical
        )
    );
    assert_eq!(
        (a.netloc.as_deref(), a.check.as_deref(), a.ip_version),
        (Some("a.example"), Some("status-is"), Some(IpVersion::V4))
    );
    let channels: Vec<(&str, &str)> = page[0]
        .deliveries
        .iter()
        .map(|d| (d.channel.as_str(), d.status.as_str()))
        .collect();
    assert_eq!(channels, [("local", "pending"), ("webhook:w", "pending")]);
    assert_eq!(store.pending_deliveries().await.unwrap(), 2);

    // The same severity again: no alert; then the recovery, to `local` only.
    let next = store.task(id).await.unwrap().next_run;
    lease_all(&store, "a", next).await;
    store
        .ingest_with_rules("a", &[finished(id, Severity::Critical)], &rules, next)
        .await
        .unwrap();
    let next = store.task(id).await.unwrap().next_run;
    lease_all(&store, "a", next).await;
    let got = store
        .ingest_with_rules("a", &[finished(id, Severity::Ok)], &rules, next)
        .await
        .unwrap();
    assert!(got[0].alerted);
    let page = store.alerts_page(None, 10).await.unwrap();
    assert_eq!(page.len(), 2, "newest first");
    assert_eq!(
        (page[0].alert.previous, page[0].alert.severity),
        (Some(Severity::Critical), Severity::Ok)
    );
    assert_eq!(page[0].deliveries.len(), 1);
    assert_eq!(
        store
            .alerts_page(Some(page[0].alert.id), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_muted_website_records_alerts_without_deliveries(store: Store) {
    let id = one_task(&store, "https://muted.example/").await;
    store
        .ingest_with_rules("a", &[finished(id, Severity::Critical)], &rules(), at(1))
        .await
        .unwrap();
    let page = store.alerts_page(None, 10).await.unwrap();
    assert_eq!(page.len(), 1, "the history keeps it");
    assert!(page[0].deliveries.is_empty(), "but nobody is told");
    assert_eq!(store.pending_deliveries().await.unwrap(), 0);
}

fn system_alert(channels: &[&str]) -> NewAlert {
    NewAlert {
        kind: AlertKind::Test,
        task: None,
        result_id: None,
        previous: None,
        severity: Severity::Critical,
        since: at(0),
        detail: Some("test".into()),
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
    }
}

async fn claims_are_leases_that_skip_busy_channels(store: Store) {
    for _ in 0..3 {
        store
            .insert_alert(&system_alert(&["mail", "gotify"]), at(0))
            .await
            .unwrap();
    }
    let busy = ["gotify".to_owned()];
    let first = store
        .claim_deliveries("p1", at(1), at(61), 100, &busy)
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|d| d.channel == "mail" && d.attempts == 0));
    assert_eq!(first[0].alert.detail.as_deref(), Some("test"));
    let second = store
        .claim_deliveries("p2", at(2), at(62), 100, &[])
        .await
        .unwrap();
    assert!(
        second.iter().all(|d| d.channel == "gotify"),
        "mail is claimed by p1"
    );
    assert_eq!(second.len(), 3);
    assert!(
        store
            .claim_deliveries("p3", at(30), at(90), 100, &[])
            .await
            .unwrap()
            .is_empty()
    );
    // p1 died: its claims run out and another process takes them.
    let again = store
        .claim_deliveries("p3", at(62), at(121), 100, &[])
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|d| d.channel == "mail"));
    // Renewed claims hold.
    store.renew_claims("p3", at(500)).await.unwrap();
    assert!(
        store
            .claim_deliveries("p4", at(200), at(260), 100, &[])
            .await
            .unwrap()
            .iter()
            .all(|d| d.channel != "mail")
    );
}

async fn only_the_claim_holder_records_outcomes(store: Store) {
    for _ in 0..3 {
        store
            .insert_alert(&system_alert(&["mail"]), at(0))
            .await
            .unwrap();
    }
    let claimed = store
        .claim_deliveries("p1", at(1), at(61), 100, &[])
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|d| d.id).collect();
    let sent = [(ids[0], DeliveryOutcome::Sent)];
    assert_eq!(
        store
            .record_deliveries("intruder", &sent, at(2))
            .await
            .unwrap(),
        0
    );
    let outcomes = [
        (ids[0], DeliveryOutcome::Sent),
        (
            ids[1],
            DeliveryOutcome::Retry {
                at: at(100),
                error: "HTTP 503".into(),
                done: vec!["t1".into()],
            },
        ),
        (
            ids[2],
            DeliveryOutcome::Failed {
                error: "HTTP 404".into(),
                done: vec![],
            },
        ),
    ];
    assert_eq!(
        store
            .record_deliveries("p1", &outcomes, at(2))
            .await
            .unwrap(),
        3
    );
    let page = store.alerts_page(None, 10).await.unwrap();
    let status: Vec<(String, i32, Option<String>)> = page
        .iter()
        .rev()
        .map(|a| &a.deliveries[0])
        .map(|d| (d.status.clone(), d.attempts, d.last_error.clone()))
        .collect();
    assert_eq!(
        status,
        [
            ("sent".into(), 1, None),
            ("pending".into(), 1, Some("HTTP 503".into())),
            ("failed".into(), 1, Some("HTTP 404".into())),
        ]
    );
    assert_eq!(store.pending_deliveries().await.unwrap(), 1);
    assert!(
        store
            .claim_deliveries("p2", at(99), at(160), 100, &[])
            .await
            .unwrap()
            .is_empty(),
        "not before its retry time"
    );
    let retry = store
        .claim_deliveries("p2", at(100), at(160), 100, &[])
        .await
        .unwrap();
    assert_eq!(
        (retry.len(), retry[0].attempts, retry[0].done.clone()),
        (1, 1, vec!["t1".to_owned()])
    );
}

async fn concurrent_claims_never_overlap(store: Store) {
    for _ in 0..200 {
        store
            .insert_alert(&system_alert(&["mail"]), at(0))
            .await
            .unwrap();
    }
    let claimers = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_deliveries(&format!("p{i}"), at(1), at(100), 7, &[])
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|d| d.id));
            }
        })
    });
    let mut all = Vec::new();
    for c in claimers {
        all.extend(c.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(
        (all.len(), distinct.len()),
        (200, 200),
        "each delivery claimed exactly once"
    );
}

async fn meta_swaps_once_with_its_alert(store: Store) {
    let alert = system_alert(&["mail"]);
    assert!(
        store
            .swap_meta_with_alert("k", None, "v1", &alert, at(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_meta_with_alert("k", None, "v1", &alert, at(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_meta_with_alert("k", Some("v0"), "v2", &alert, at(0))
            .await
            .unwrap()
    );
    assert!(
        store
            .swap_meta_with_alert("k", Some("v1"), "v2", &alert, at(0))
            .await
            .unwrap()
    );
    assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(
        store.alerts_page(None, 10).await.unwrap().len(),
        2,
        "one alert per won swap"
    );
}

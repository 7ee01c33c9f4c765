//! Grouping and retry decisions of the notifier.

use argos_checks::Severity;
use chrono::{DateTime, Utc};

use super::*;
use crate::store::{AlertKind, AlertRecord};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn delivery(id: i64, kind: AlertKind, netloc: Option<&str>, done: &[&str]) -> Delivery {
    Delivery {
        id,
        channel: "mail".into(),
        attempts: 0,
        done: done.iter().map(|d| (*d).to_owned()).collect(),
        alert: AlertRecord {
            id,
            created_at: t0(),
            kind,
            task_id: netloc.map(|_| id),
            result_id: None,
            netloc: netloc.map(str::to_owned),
            url: netloc.map(|n| format!("https://{n}/")),
            check: Some("status-is".into()),
            ip_version: None,
            previous: Some(Severity::Ok),
            severity: Severity::Critical,
            since: t0(),
            detail: None,
        },
    }
}

#[test]
fn one_message_per_domain_and_system_alerts_alone() {
    let d = [
        delivery(1, AlertKind::Change, Some("a.test"), &[]),
        delivery(2, AlertKind::Change, Some("b.test"), &[]),
        delivery(3, AlertKind::Reminder, Some("a.test"), &[]),
        delivery(4, AlertKind::NoAgent, None, &[]),
    ];
    let mut got = messages(&d, 10);
    got.sort();
    assert_eq!(got, [vec![0, 2], vec![1], vec![3]]);
}

#[test]
fn a_storm_becomes_one_summary() {
    let d: Vec<Delivery> = (0..30)
        .map(|i| delivery(i, AlertKind::Change, Some(&format!("site{i}.test")), &[]))
        .collect();
    let got = messages(&d, 10);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].len(), 30);
    // At the threshold exactly, still one message per domain.
    assert_eq!(messages(&d[..10], 10).len(), 10);
}

#[test]
fn deliveries_that_reached_different_targets_are_not_merged() {
    let d = [
        delivery(1, AlertKind::Change, Some("a.test"), &["t1"]),
        delivery(2, AlertKind::Change, Some("a.test"), &[]),
    ];
    assert_eq!(messages(&d, 10).len(), 2);
}

#[test]
fn retries_back_off_then_give_up() {
    let transient = Err(SendError::transient("HTTP 503"));
    match decide(0, &transient, t0()) {
        DeliveryOutcome::Retry { at, .. } => {
            let wait = (at - t0()).num_seconds();
            assert!((8..=12).contains(&wait), "about 10 s, got {wait}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decide(MAX_ATTEMPTS - 1, &transient, t0()),
        DeliveryOutcome::Failed { .. }
    ));
    let permanent = Err(SendError::permanent("HTTP 404"));
    assert!(matches!(
        decide(0, &permanent, t0()),
        DeliveryOutcome::Failed { .. }
    ));
    assert_eq!(decide(3, &Ok(()), t0()), DeliveryOutcome::Sent);
    assert_eq!(
        backoff(30, 0.5),
        std::time::Duration::from_secs(3600),
        "capped at an hour"
    );
}

//! Roll-ups: maintained by ingest, read by the domain page (uptime, response times), trimmed
//! by retention; and the certificate expiry of the latest results.

use argos_checks::{Severity, Status};
use argos_server::store::{Finished, Point, Scope, Step, Store, Tally, Uptime};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::harness::{at, id_of, lease_all, spec};

contract!(
    ingest_adds_each_result_to_its_hour_and_day,
    response_times_sum_a_domains_tasks_and_skip_empty_buckets,
    uptime_windows_read_hourly_then_daily_rollups,
    retention_deletes_old_buckets_only,
    a_deleted_task_takes_its_rollups_along,
    certificate_expiry_comes_from_the_latest_result,
);

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Two tasks on a.example, one on b.example; their ids.
async fn three_tasks(store: &Store) -> (i64, i64, i64) {
    let specs = [
        spec("https://a.example/", "status-is"),
        spec("https://a.example/", "body-contains"),
        spec("https://b.example/", "status-is"),
    ];
    store.sync_tasks(&specs, at(0)).await.unwrap();
    (
        id_of(store, "a.example", "https://a.example/", "status-is").await,
        id_of(store, "a.example", "https://a.example/", "body-contains").await,
        id_of(store, "b.example", "https://b.example/", "status-is").await,
    )
}

/// Reports one result per `(task, severity, elapsed)` at `now` (every task must be due: keep
/// reports at least 5 minutes apart).
async fn report(store: &Store, now: DateTime<Utc>, results: &[(i64, Severity, Option<f64>)]) {
    lease_all(store, "r", now).await;
    let batch: Vec<Finished> = results
        .iter()
        .map(|&(task_id, severity, elapsed_ms)| Finished {
            task_id,
            status: if severity == Severity::Ok {
                Status::Success
            } else {
                Status::Failure
            },
            severity,
            context: json!({}),
            elapsed_ms,
        })
        .collect();
    let got = store.ingest("r", &batch, now).await.unwrap();
    assert_eq!(got.len(), results.len(), "every result accepted at {now}");
}

/// `(start, checks, ok, avg, max)` of a point.
type Summary = (DateTime<Utc>, i64, i64, Option<f64>, Option<f64>);

fn summary(points: &[Point]) -> Vec<Summary> {
    points
        .iter()
        .map(|p| (p.start, p.tally.checks, p.tally.ok, p.avg_ms, p.max_ms))
        .collect()
}

async fn ingest_adds_each_result_to_its_hour_and_day(store: Store) {
    let (a1, _, _) = three_tasks(&store).await;
    let (ok, crit) = (Severity::Ok, Severity::Critical);
    report(&store, at(600), &[(a1, ok, Some(100.0))]).await;
    report(&store, at(1800), &[(a1, crit, Some(300.0))]).await;
    report(&store, at(3000), &[(a1, ok, None)]).await;
    report(&store, at(HOUR + 600), &[(a1, ok, Some(50.0))]).await;

    let task = Scope::Task(a1);
    let hourly = store
        .response_times(task, Step::Hour, at(0), at(DAY))
        .await
        .unwrap();
    assert_eq!(
        summary(&hourly),
        [
            (at(0), 3, 2, Some(200.0), Some(300.0)),
            (at(HOUR), 1, 1, Some(50.0), Some(50.0)),
        ],
        "a result without a time counts, but not in the times"
    );
    assert_eq!(hourly[0].timed, 2);
    let daily = store
        .response_times(task, Step::Day, at(0), at(DAY))
        .await
        .unwrap();
    assert_eq!(summary(&daily), [(at(0), 4, 3, Some(150.0), Some(300.0))]);
    let later = store
        .response_times(task, Step::Hour, at(HOUR), at(DAY))
        .await
        .unwrap();
    assert_eq!(later.len(), 1, "[from, to) by bucket start");
}

async fn response_times_sum_a_domains_tasks_and_skip_empty_buckets(store: Store) {
    let (a1, a2, b) = three_tasks(&store).await;
    let ok = Severity::Ok;
    report(
        &store,
        at(60),
        &[
            (a1, ok, Some(10.0)),
            (a2, ok, Some(30.0)),
            (b, ok, Some(1000.0)),
        ],
    )
    .await;
    report(&store, at(3 * HOUR), &[(a2, Severity::Warning, Some(40.0))]).await;

    let points = store
        .response_times(Scope::Domain("a.example"), Step::Hour, at(0), at(DAY))
        .await
        .unwrap();
    assert_eq!(
        summary(&points),
        [
            (at(0), 2, 2, Some(20.0), Some(30.0)),
            (at(3 * HOUR), 1, 0, Some(40.0), Some(40.0)),
        ]
    );
    let none = store
        .response_times(Scope::Domain("nowhere.example"), Step::Hour, at(0), at(DAY))
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn uptime_windows_read_hourly_then_daily_rollups(store: Store) {
    let (a1, a2, b) = three_tasks(&store).await;
    let (ok, crit) = (Severity::Ok, Severity::Critical);
    // now = day 40, 12:30. Windows: 24 h from day 39 13:00, 7 d from day 33 13:00, 30 d from
    // day 11 00:00 (see `Windows`).
    let now = at(40 * DAY + 12 * HOUR + 1800);
    report(&store, at(5 * DAY), &[(a1, crit, Some(1.0))]).await; // in no window
    report(&store, at(20 * DAY), &[(a1, crit, Some(1.0))]).await; // 30 d
    report(
        &store,
        at(35 * DAY),
        &[(a1, ok, Some(1.0)), (a2, crit, Some(1.0))],
    )
    .await; // 7 d
    report(&store, at(39 * DAY + 13 * HOUR), &[(a1, ok, Some(1.0))]).await; // 24 h, first hour
    report(
        &store,
        at(40 * DAY + 12 * HOUR),
        &[(a1, ok, None), (b, crit, None)],
    )
    .await; // now

    let got = store
        .uptimes(Scope::Domain("a.example"), now)
        .await
        .unwrap();
    let tally = |checks, ok| Tally { checks, ok };
    assert_eq!(
        got.get(&a1),
        Some(&Uptime {
            day: tally(2, 2),
            week: tally(3, 3),
            month: tally(4, 3),
        })
    );
    assert_eq!(
        got.get(&a2),
        Some(&Uptime {
            day: tally(0, 0),
            week: tally(1, 0),
            month: tally(1, 0),
        })
    );
    assert_eq!(got.len(), 2, "only the domain's tasks: {got:?}");
    let total = Uptime::sum(got.values());
    assert_eq!(total.week, tally(4, 3));
    assert_eq!(total.week.percent(), Some(75.0));

    let one = store.uptimes(Scope::Task(b), now).await.unwrap();
    assert_eq!(one.keys().copied().collect::<Vec<_>>(), [b]);
    assert_eq!(one[&b].day, tally(1, 0));
}

async fn retention_deletes_old_buckets_only(store: Store) {
    let (a1, _, _) = three_tasks(&store).await;
    for day in 0..3 {
        report(&store, at(day * DAY), &[(a1, Severity::Ok, Some(5.0))]).await;
        report(
            &store,
            at(day * DAY + HOUR),
            &[(a1, Severity::Ok, Some(5.0))],
        )
        .await;
    }
    // Hourly buckets before day 2, daily ones before day 1.
    let deleted = store.purge_rollups(at(2 * DAY), at(DAY)).await.unwrap();
    assert_eq!(deleted, 4 + 1);
    let count = |step| {
        let store = store.clone();
        async move {
            store
                .response_times(Scope::Task(a1), step, at(0), at(10 * DAY))
                .await
                .unwrap()
                .iter()
                .map(|p| p.start)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(count(Step::Hour).await, [at(2 * DAY), at(2 * DAY + HOUR)]);
    assert_eq!(count(Step::Day).await, [at(DAY), at(2 * DAY)]);
    assert_eq!(store.purge_rollups(at(2 * DAY), at(DAY)).await.unwrap(), 0);
}

async fn a_deleted_task_takes_its_rollups_along(store: Store) {
    let (a1, _, b) = three_tasks(&store).await;
    report(
        &store,
        at(60),
        &[(a1, Severity::Ok, Some(5.0)), (b, Severity::Ok, Some(5.0))],
    )
    .await;
    store
        .sync_tasks(&[spec("https://b.example/", "status-is")], at(120))
        .await
        .unwrap();
    let gone = store
        .response_times(Scope::Task(a1), Step::Day, at(0), at(DAY))
        .await
        .unwrap();
    assert!(gone.is_empty());
    let kept = store.uptimes(Scope::Task(b), at(600)).await.unwrap();
    assert_eq!(kept[&b].day, Tally { checks: 1, ok: 1 });
}

async fn certificate_expiry_comes_from_the_latest_result(store: Store) {
    let (a1, a2, b) = three_tasks(&store).await;
    let leased = lease_all(&store, "r", at(0)).await;
    assert_eq!(leased.len(), 3);
    let result = |task_id, context| Finished {
        task_id,
        status: Status::Success,
        severity: Severity::Ok,
        context,
        elapsed_ms: Some(1.0),
    };
    let batch = [
        // Our HTTPS probe, and our ssl-certificate-expiration check's own figure.
        result(
            a1,
            json!({"certificate": {"expires_in_days": 10, "expires_in_seconds": 10 * DAY + 60}}),
        ),
        // The reference agent's ssl-certificate-expiration: whole days.
        result(a2, json!({"expires_in": 3})),
        result(b, json!({"certificate": {"expires_in_seconds": "soon"}})),
    ];
    store.ingest("r", &batch, at(HOUR)).await.unwrap();

    let mut got = store.certificate_expiries("a.example").await.unwrap();
    got.sort_by_key(|c| c.task_id);
    let mut want = vec![(a1, at(HOUR + 10 * DAY + 60)), (a2, at(HOUR + 3 * DAY))];
    want.sort();
    assert_eq!(
        got.iter()
            .map(|c| (c.task_id, c.expires_at))
            .collect::<Vec<_>>(),
        want
    );
    assert_eq!(
        got.iter()
            .find(|c| c.task_id == a1)
            .unwrap()
            .days_left(at(2 * HOUR)),
        9
    );
    assert!(
        store
            .certificate_expiries("b.example")
            .await
            .unwrap()
            .is_empty(),
        "not a number"
    );
}

//! Result retention (issue 8): on PostgreSQL whole day partitions go, prepared ahead; on
//! SQLite bounded batches. The same outcome on both: results older than the cutoff go,
//! newer ones and each task's latest stay, and a result at any time is stored.

use argos_checks::Severity;
use argos_server::store::Store;

use crate::harness::{at, run_once, spec};

contract!(retention_keeps_the_newer_results_and_each_tasks_latest);

const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// Results of task `id`, newest first, by time.
async fn times(store: &Store, id: i64) -> Vec<chrono::DateTime<chrono::Utc>> {
    let results = store.task_results(id, None, 100).await.unwrap();
    results.iter().map(|r| r.submitted_at).collect()
}

/// Three tasks: `a` checked on days 0, 1 and 2; `c` once on day 0 (its latest); `b` ten
/// years back then fifty years ahead (no day partition covers either).
async fn arrange(store: &Store) -> [i64; 3] {
    let specs = ["a", "b", "c"].map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&specs, at(-20 * YEAR)).await.unwrap();
    let id = |i: usize| async move {
        store
            .domain_tasks(&format!("{}.example", ["a", "b", "c"][i]))
            .await
            .unwrap()[0]
            .id
    };
    let (a, b, c) = (id(0).await, id(1).await, id(2).await);
    run_once(store, b, Severity::Ok, at(-10 * YEAR)).await;
    run_once(store, a, Severity::Ok, at(3600)).await;
    run_once(store, c, Severity::Critical, at(3700)).await;
    for day in 1..3 {
        run_once(store, a, Severity::Ok, at(day * DAY + 3600)).await;
    }
    run_once(store, b, Severity::Ok, at(50 * YEAR)).await;
    [a, b, c]
}

async fn retention_keeps_the_newer_results_and_each_tasks_latest(store: Store) {
    // Arrange: the coming days prepared at day 0 (partitions on PostgreSQL), then results.
    let prepared = store.prepare_results(at(0)).await.unwrap();
    assert_eq!(
        prepared,
        if store.backend() == "postgresql" {
            4
        } else {
            0
        }
    );
    assert_eq!(
        store.prepare_results(at(0)).await.unwrap(),
        0,
        "already there"
    );
    let [a, b, c] = arrange(&store).await;

    // Act: the cutoff falls in day 2, after its start.
    let purged = store.purge_results(at(2 * DAY + 1800)).await.unwrap();

    // Assert: days 0 and 1 of `a` and the ten-year-old result of `b` went; `c`'s only
    // result stays (its latest), as do the newer ones.
    assert_eq!(purged, 3);
    assert_eq!(times(&store, a).await, [at(2 * DAY + 3600)]);
    assert_eq!(times(&store, b).await, [at(50 * YEAR)]);
    assert_eq!(times(&store, c).await, [at(3700)]);
    let kept = store.task(c).await.unwrap().last_result_id.unwrap();
    assert_eq!(store.result(kept).await.unwrap().submitted_at, at(3700));
}

/// PostgreSQL only: results live in the day partition of their time, partitions are made
/// ahead, and retention drops expired days whole (the latest result of a task moves out
/// first); the cutoff's day stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_retention_drops_day_partitions_made_ahead() {
    argos_testkit::postgres::with_database(|url| async move {
        let store = Store::connect(&url, 4).await.unwrap();
        store.migrate().await.unwrap();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let partitions = || async {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM argos_result_partitions WHERE hi <= '2026-02-01' ORDER BY lo",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            names
        };
        assert_eq!(store.prepare_results(at(0)).await.unwrap(), 4);
        assert_eq!(
            partitions().await,
            ["20260101", "20260102", "20260103", "20260104"].map(|d| format!("argos_results_p{d}"))
        );
        let [a, _, c] = arrange(&store).await;
        let home: String = sqlx::query_scalar(
            "SELECT tableoid::regclass::text FROM argos_results WHERE task_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(a)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(home, "argos_results_p20260101");

        store.purge_results(at(2 * DAY + 1800)).await.unwrap();

        assert_eq!(
            partitions().await,
            ["20260103", "20260104"].map(|d| format!("argos_results_p{d}"))
        );
        assert_eq!(times(&store, c).await, [at(3700)], "moved out, not dropped");
    })
    .await;
}

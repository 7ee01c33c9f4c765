//! The read side: counts, domain pages, task and result views, retention, stats.

use argos_checks::Severity;
use argos_server::store::{DomainFilter, Error, SeverityCounts, Store};

use crate::harness::{LEASE, at, finished, id_of, lease_all, run_once, spec, v6};

contract!(
    severity_counts_have_every_key,
    waiting_count_is_due_and_unleased,
    domains_page_filters_orders_and_paginates,
    domain_tasks_match_the_netloc_exactly,
    task_and_result_not_found,
    task_results_paginate_newest_first,
    purge_keeps_each_tasks_latest_result,
    purge_works_through_batches_and_the_count_follows,
    stats_count_waiting_results_and_leased,
    reschedule_non_ok_makes_them_due,
);

/// Gives each listed task (by host) one result of the given severity at `now`.
async fn set_severities(
    store: &Store,
    wanted: &[(&str, Severity)],
    now: chrono::DateTime<chrono::Utc>,
) {
    let leased = lease_all(store, "a", now).await;
    let results: Vec<_> = wanted
        .iter()
        .flat_map(|(host, sev)| {
            leased
                .iter()
                .filter(move |t| t.url.contains(&format!("//{host}/")))
                .map(|t| finished(t.id, *sev))
        })
        .collect();
    store.ingest("a", &results, now).await.unwrap();
}

async fn severity_counts_have_every_key(store: Store) {
    assert_eq!(
        store.severity_counts().await.unwrap(),
        SeverityCounts::default()
    );
    let hosts = ["ok1", "ok2", "warn", "crit", "unk"]
        .map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&hosts, at(0)).await.unwrap();
    set_severities(
        &store,
        &[
            ("ok1.example", Severity::Ok),
            ("ok2.example", Severity::Ok),
            ("warn.example", Severity::Warning),
            ("crit.example", Severity::Critical),
        ],
        at(1),
    )
    .await;
    let counts = store.severity_counts().await.unwrap();
    assert_eq!(
        counts,
        SeverityCounts {
            ok: 2,
            warning: 1,
            critical: 1,
            unknown: 1
        }
    );
    assert_eq!(
        serde_json::to_value(counts).unwrap(),
        serde_json::json!({"ok": 2, "warning": 1, "critical": 1, "unknown": 1})
    );
}

async fn waiting_count_is_due_and_unleased(store: Store) {
    let specs = ["a", "b", "c"].map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&specs, at(0)).await.unwrap();
    assert_eq!(store.waiting_count(at(-1)).await.unwrap(), 0, "not due yet");
    assert_eq!(store.waiting_count(at(0)).await.unwrap(), 3);
    let leased = store.lease("a", 1, LEASE, at(0)).await.unwrap();
    assert_eq!(
        store.waiting_count(at(0)).await.unwrap(),
        2,
        "a leased task is not waiting"
    );
    store
        .ingest("a", &[finished(leased[0].id, Severity::Ok)], at(1))
        .await
        .unwrap();
    assert_eq!(
        store.waiting_count(at(1)).await.unwrap(),
        2,
        "a checked task waits for its next run"
    );
    store.lease("b", 1, LEASE, at(1)).await.unwrap();
    let checked_due = store.task(leased[0].id).await.unwrap().next_run <= at(62);
    assert_eq!(
        store.waiting_count(at(62)).await.unwrap(),
        2 + i64::from(checked_due),
        "an expired lease waits again"
    );
}

async fn domains_page_filters_orders_and_paginates(store: Store) {
    // b: ok + critical; a: warning; c: ok, ok (IPv4 and IPv6); d: unknown; e: critical.
    let mut specs = vec![
        spec("https://b.example/", "status-is"),
        spec("https://b.example/x", "status-is"),
    ];
    specs.extend([
        spec("https://a.example/", "status-is"),
        spec("https://c.example/", "status-is"),
    ]);
    specs.extend([
        v6(spec("https://c.example/", "status-is")),
        spec("https://d.example/", "status-is"),
        spec("https://e.example/", "status-is"),
    ]);
    store.sync_tasks(&specs, at(0)).await.unwrap();
    let leased = lease_all(&store, "a", at(0)).await;
    let sev = |url: &str| match url {
        "https://b.example/" | "https://c.example/" => Some(Severity::Ok),
        "https://b.example/x" | "https://e.example/" => Some(Severity::Critical),
        "https://a.example/" => Some(Severity::Warning),
        _ => None,
    };
    let results: Vec<_> = leased
        .iter()
        .filter_map(|t| sev(&t.url).map(|s| finished(t.id, s)))
        .collect();
    store.ingest("a", &results, at(5)).await.unwrap();

    let all = store
        .domains_page(
            DomainFilter::All,
            None,
            argos_server::store::DomainSort::Severity,
            0,
            100,
        )
        .await
        .unwrap();
    let rows: Vec<_> = all
        .rows
        .iter()
        .map(|r| (r.netloc.as_str(), r.worst, r.severities.clone(), r.tasks))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "b.example",
                Severity::Critical,
                vec![Severity::Critical, Severity::Ok],
                2
            ),
            ("e.example", Severity::Critical, vec![Severity::Critical], 1),
            ("d.example", Severity::Unknown, vec![Severity::Unknown], 1),
            ("a.example", Severity::Warning, vec![Severity::Warning], 1),
            ("c.example", Severity::Ok, vec![Severity::Ok], 2),
        ]
    );
    assert_eq!((all.total_domains, all.total_tasks), (5, 7));
    assert_eq!(
        (all.rows[0].last_check, all.rows[2].last_check),
        (Some(at(5)), None)
    );

    let not_ok = store
        .domains_page(
            DomainFilter::NotOk,
            None,
            argos_server::store::DomainSort::Severity,
            0,
            100,
        )
        .await
        .unwrap();
    let netlocs: Vec<_> = not_ok
        .rows
        .iter()
        .map(|r| (r.netloc.as_str(), r.tasks))
        .collect();
    assert_eq!(
        netlocs,
        [
            ("b.example", 1),
            ("e.example", 1),
            ("d.example", 1),
            ("a.example", 1)
        ],
        "tasks filtered, then grouped"
    );
    assert_eq!((not_ok.total_domains, not_ok.total_tasks), (4, 4));
    let ok = store
        .domains_page(
            DomainFilter::Only(Severity::Ok),
            None,
            argos_server::store::DomainSort::Severity,
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        ok.rows
            .iter()
            .map(|r| r.netloc.as_str())
            .collect::<Vec<_>>(),
        ["b.example", "c.example"]
    );

    let page2 = store
        .domains_page(
            DomainFilter::All,
            None,
            argos_server::store::DomainSort::Severity,
            2,
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        page2
            .rows
            .iter()
            .map(|r| r.netloc.as_str())
            .collect::<Vec<_>>(),
        ["d.example", "a.example"]
    );
    assert_eq!(page2.total_domains, 5);
    let searched = store
        .domains_page(
            DomainFilter::All,
            Some("E.EX"),
            argos_server::store::DomainSort::Severity,
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        searched
            .rows
            .iter()
            .map(|r| r.netloc.as_str())
            .collect::<Vec<_>>(),
        ["e.example"]
    );
    let wildcard = store
        .domains_page(
            DomainFilter::All,
            Some("_"),
            argos_server::store::DomainSort::Severity,
            0,
            100,
        )
        .await
        .unwrap();
    assert!(
        wildcard.rows.is_empty(),
        "LIKE wildcards in the search are literal"
    );
}

async fn domain_tasks_match_the_netloc_exactly(store: Store) {
    let specs = [
        spec("https://example.org/b", "status-is"),
        v6(spec("https://example.org/a", "status-is")),
        spec("https://example.org/a", "status-is"),
        spec("https://example.org/a", "body-contains"),
        spec("https://example.org.uk/", "status-is"),
        spec("https://www.example.org/", "status-is"),
    ];
    store.sync_tasks(&specs, at(0)).await.unwrap();
    let tasks = store.domain_tasks("example.org").await.unwrap();
    let got: Vec<_> = tasks
        .iter()
        .map(|t| (t.url.as_str(), t.check.as_str(), t.ip_version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("https://example.org/a", "body-contains", "4"),
            ("https://example.org/a", "status-is", "4"),
            ("https://example.org/a", "status-is", "6"),
            ("https://example.org/b", "status-is", "4"),
        ]
    );
    assert!(store.domain_tasks("example.%").await.unwrap().is_empty());
    assert_eq!(store.domain_tasks("example.org.uk").await.unwrap().len(), 1);
}

async fn task_and_result_not_found(store: Store) {
    assert!(matches!(store.task(42).await, Err(Error::NotFound)));
    assert!(matches!(store.result(42).await, Err(Error::NotFound)));
    assert!(store.task_results(42, None, 10).await.unwrap().is_empty());
}

async fn task_results_paginate_newest_first(store: Store) {
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let id = id_of(&store, "a.example", "https://a.example/", "status-is").await;
    let mut ids = Vec::new();
    for hour in 0..5 {
        ids.push(
            run_once(&store, id, Severity::Ok, at(3600 * hour + 1))
                .await
                .result_id,
        );
    }
    ids.reverse();
    let page1 = store.task_results(id, None, 2).await.unwrap();
    assert_eq!(page1.iter().map(|r| r.id).collect::<Vec<_>>(), ids[..2]);
    let page2 = store.task_results(id, Some(page1[1].id), 2).await.unwrap();
    assert_eq!(page2.iter().map(|r| r.id).collect::<Vec<_>>(), ids[2..4]);
    let page3 = store.task_results(id, Some(page2[1].id), 2).await.unwrap();
    assert_eq!(page3.iter().map(|r| r.id).collect::<Vec<_>>(), ids[4..]);
    assert_eq!(page1[0].submitted_at, at(3600 * 4 + 1));
}

async fn purge_keeps_each_tasks_latest_result(store: Store) {
    store
        .sync_tasks(
            &[
                spec("https://a.example/", "status-is"),
                spec("https://b.example/", "status-is"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let leased = lease_all(&store, "a", at(0)).await;
    let (a, b) = (leased[0].id, leased[1].id);
    store
        .ingest(
            "a",
            &[finished(a, Severity::Ok), finished(b, Severity::Ok)],
            at(1),
        )
        .await
        .unwrap();
    run_once(&store, a, Severity::Ok, at(3601)).await;
    let a_latest = run_once(&store, a, Severity::Critical, at(7201))
        .await
        .result_id;

    assert_eq!(store.purge_results(at(0)).await.unwrap(), 0);
    assert_eq!(
        store.purge_results(at(100_000)).await.unwrap(),
        2,
        "a's two older results"
    );
    assert_eq!(
        store
            .task_results(a, None, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [a_latest]
    );
    assert_eq!(
        store.task_results(b, None, 10).await.unwrap().len(),
        1,
        "b's only result is its latest"
    );
}

/// More results past retention than one purge statement deletes (SQLite purges in batches
/// of 2,000); the result count of `/api/stats` follows inserts, purges and deleted tasks.
async fn purge_works_through_batches_and_the_count_follows(store: Store) {
    // Arrange: 500 tasks with 6 results each, an hour apart.
    let specs: Vec<_> = (0..500)
        .map(|i| spec(&format!("https://s{i}.example/"), "status-is"))
        .collect();
    store.sync_tasks(&specs, at(0)).await.unwrap();
    for round in 0..6 {
        let now = at(round * 3600);
        let leased = lease_all(&store, "a", now).await;
        assert_eq!(leased.len(), 500);
        let results: Vec<_> = leased
            .iter()
            .map(|t| finished(t.id, Severity::Ok))
            .collect();
        store.ingest("a", &results, now).await.unwrap();
    }
    // Exact on SQLite; an estimate from the statistics on PostgreSQL (exact too before the
    // table's first analyze, but autovacuum may run meanwhile).
    let exact = store.backend() == "sqlite";
    if exact {
        assert_eq!(store.stats(at(0)).await.unwrap().results_count, 3000);
    }

    // Act: everything but the last round is past retention.
    let purged = store.purge_results(at(5 * 3600)).await.unwrap();

    // Assert: 2,500 deleted, each task keeps its latest result.
    assert_eq!(purged, 2500);
    for task in store.domain_tasks("s7.example").await.unwrap() {
        let kept = store.task_results(task.id, None, 10).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].submitted_at, at(5 * 3600));
    }
    if exact {
        assert_eq!(store.stats(at(0)).await.unwrap().results_count, 500);
        // Deleting tasks deletes their results, and the count follows.
        store.sync_tasks(&specs[..400], at(0)).await.unwrap();
        assert_eq!(store.stats(at(0)).await.unwrap().results_count, 400);
    } else {
        assert!(store.stats(at(0)).await.unwrap().results_count > 0);
    }
}

async fn stats_count_waiting_results_and_leased(store: Store) {
    let specs = ["a", "b", "c"].map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&specs, at(0)).await.unwrap();
    let leased = store.lease("a", 2, LEASE, at(0)).await.unwrap();
    store
        .ingest("a", &[finished(leased[0].id, Severity::Ok)], at(1))
        .await
        .unwrap();
    let stats = store.stats(at(1)).await.unwrap();
    assert_eq!(
        (
            stats.upcoming_tasks_count,
            stats.results_count,
            stats.selected_tasks_count
        ),
        (1, 1, 1)
    );
    let later = store.stats(at(62)).await.unwrap();
    let checked_due = store.task(leased[0].id).await.unwrap().next_run <= at(62);
    assert_eq!(
        (later.upcoming_tasks_count, later.selected_tasks_count),
        (2 + i64::from(checked_due), 0),
        "the lease expired"
    );
}

async fn reschedule_non_ok_makes_them_due(store: Store) {
    let specs = ["ok", "crit", "new"].map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&specs, at(0)).await.unwrap();
    set_severities(
        &store,
        &[
            ("ok.example", Severity::Ok),
            ("crit.example", Severity::Critical),
        ],
        at(1),
    )
    .await;
    // "new" (unknown, never checked) is leased to "a" still, and due since 0: not moved.
    assert_eq!(store.reschedule_non_ok(at(2)).await.unwrap(), 1);
    assert_eq!(
        store.domain_tasks("crit.example").await.unwrap()[0].next_run,
        at(2)
    );
    assert!(store.domain_tasks("ok.example").await.unwrap()[0].next_run > at(2));
}

/// PostgreSQL only: while another replica holds the maintenance lock, a purge skips its turn
/// (0 deleted) and the results stay; once the lock is released, the next round purges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_purge_skips_while_another_replica_holds_the_maintenance_lock() {
    use sqlx::Connection;
    argos_testkit::postgres::with_database(|url| async move {
        let store = Store::connect(&url, 4).await.unwrap();
        store.migrate().await.unwrap();
        store
            .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
            .await
            .unwrap();
        let a = lease_all(&store, "a", at(0)).await[0].id;
        store
            .ingest("a", &[finished(a, Severity::Ok)], at(1))
            .await
            .unwrap();
        run_once(&store, a, Severity::Ok, at(3601)).await;

        let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut held = other.begin().await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(argos_server::store::MAINTENANCE_LOCK)
            .execute(&mut *held)
            .await
            .unwrap();
        assert_eq!(store.purge_results(at(100_000)).await.unwrap(), 0);
        held.commit().await.unwrap();
        assert_eq!(store.purge_results(at(100_000)).await.unwrap(), 1);
    })
    .await;
}

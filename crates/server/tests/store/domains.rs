//! The domains page's summary rows follow ingestion and config changes, and every sort
//! orders them as announced.

use argos_checks::Severity;
use argos_server::store::{DomainFilter, DomainSort, Store};

use crate::harness::{at, finished, lease_all, spec};

contract!(domain_summaries_follow_results_and_config_changes);

async fn names(store: &Store, filter: DomainFilter, sort: DomainSort) -> Vec<String> {
    let page = store
        .domains_page(filter, None, sort, 0, 100)
        .await
        .unwrap();
    page.rows.into_iter().map(|r| r.netloc).collect()
}

async fn domain_summaries_follow_results_and_config_changes(store: Store) {
    let specs = [
        spec("https://a.example/", "status-is"),
        spec("https://b.example/", "status-is"),
        spec("https://c.example/", "status-is"),
    ];
    store.sync_tasks(&specs, at(0)).await.unwrap();
    let leased = lease_all(&store, "x", at(0)).await;
    let id = |host: &str| leased.iter().find(|t| t.url.contains(host)).unwrap().id;
    // c checked first, a later, b never.
    store
        .ingest("x", &[finished(id("c."), Severity::Ok)], at(5))
        .await
        .unwrap();
    store
        .ingest("x", &[finished(id("a."), Severity::Critical)], at(9))
        .await
        .unwrap();
    assert_eq!(
        names(&store, DomainFilter::All, DomainSort::Severity).await,
        ["a.example", "b.example", "c.example"],
        "critical, unknown, ok"
    );
    assert_eq!(
        names(&store, DomainFilter::All, DomainSort::Name).await,
        ["a.example", "b.example", "c.example"]
    );
    assert_eq!(
        names(&store, DomainFilter::All, DomainSort::LastCheck).await,
        ["b.example", "c.example", "a.example"],
        "never checked first, then oldest"
    );
    assert_eq!(
        names(
            &store,
            DomainFilter::Only(Severity::Critical),
            DomainSort::Severity
        )
        .await,
        ["a.example"]
    );

    // a recovers: the summary follows the result.
    let next = store.task(id("a.")).await.unwrap().next_run;
    lease_all(&store, "x", next).await;
    store
        .ingest("x", &[finished(id("a."), Severity::Ok)], next)
        .await
        .unwrap();
    assert!(
        names(
            &store,
            DomainFilter::Only(Severity::Critical),
            DomainSort::Severity
        )
        .await
        .is_empty()
    );
    let page = store
        .domains_page(DomainFilter::All, None, DomainSort::Name, 0, 100)
        .await
        .unwrap();
    assert_eq!(page.rows[0].last_check, Some(next));
    assert_eq!((page.total_domains, page.total_tasks), (3, 3));

    // b leaves the config; a gains a task.
    let specs = [
        specs[0].clone(),
        spec("https://a.example/x", "status-is"),
        specs[2].clone(),
    ];
    store.sync_tasks(&specs, at(20)).await.unwrap();
    let page = store
        .domains_page(DomainFilter::All, None, DomainSort::Name, 0, 100)
        .await
        .unwrap();
    let rows: Vec<_> = page
        .rows
        .iter()
        .map(|r| (r.netloc.as_str(), r.tasks, r.worst))
        .collect();
    assert_eq!(
        rows,
        [
            ("a.example", 2, Severity::Unknown),
            ("c.example", 1, Severity::Ok)
        ]
    );
}

//! Name lookups are cached: checks of one host within the TTL cost one lookup, an expired
//! answer is looked up again, a failure is not kept, and a DNS check always asks.

use std::time::Duration;

use argos_checks::Status;
use argos_testkit::spawn_http;

use crate::support::{Hits, Names, reason, run_one, site, task};

#[tokio::test]
async fn checks_of_one_host_within_the_ttl_cost_one_lookup() {
    let hits = Hits::default();
    let port = spawn_http(site(hits.clone())).await.port();
    let names = Names::of(&["127.0.0.1"]);
    let ttl = Duration::from_millis(400);
    let probe = names.probe(ttl);
    let url = format!("http://cached.test:{port}/");
    for id in 1..=5 {
        let r = run_one(&probe, task(id, &url, "status-is", "200")).await;
        assert_eq!(r.status, Status::Success, "{:?}", r.context);
    }
    let r = run_one(&probe, task(6, &url, "port-open", "true")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!((hits.count(), names.calls()), (5, 1));

    // Once the TTL is over, the next check resolves the name again.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let r = run_one(&probe, task(7, &url, "status-is", "200")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(names.calls(), 2);
}

#[tokio::test]
async fn a_failed_lookup_is_tried_again_at_the_next_check() {
    let port = spawn_http(site(Hits::default())).await.port();
    let names = Names::of(&["127.0.0.1"]);
    names.fail.store(1, std::sync::atomic::Ordering::SeqCst);
    let probe = names.probe(Duration::from_secs(60));
    let url = format!("http://outage.test:{port}/");
    let r = run_one(&probe, task(1, &url, "status-is", "200")).await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "dns"));
    // The resolver is back: the failure was not kept.
    let r = run_one(&probe, task(2, &url, "status-is", "200")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(names.calls(), 2);
}

#[tokio::test]
async fn a_dns_check_always_asks_and_refreshes_the_cache() {
    let port = spawn_http(site(Hits::default())).await.port();
    let names = Names::of(&["127.0.0.1"]);
    let probe = names.probe(Duration::from_secs(60));
    let url = format!("http://fresh.test:{port}/");
    for id in 1..=2 {
        let r = run_one(&probe, task(id, &url, "dns-resolves", "true")).await;
        assert_eq!(r.status, Status::Success, "{:?}", r.context);
    }
    assert_eq!(names.calls(), 2);
    // The HTTP check then uses the DNS check's answer.
    let r = run_one(&probe, task(3, &url, "status-is", "200")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(names.calls(), 2);
}

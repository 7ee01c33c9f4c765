//! Servers that misbehave: silence, garbage, refusal, endless bodies. The probe must give a
//! precise reason, in bounded time and memory, and never panic.

use std::time::{Duration, Instant};

use argos_checks::IpVersion;
use argos_checks::Status;
use argos_checks::probe::{Probe, ProbeOptions, Request};
use argos_testkit::{spawn_garbage, spawn_http, spawn_silent};

use crate::support::{Hits, probe, probe_with, reason, run_one, site, task};

#[tokio::test]
async fn a_silent_server_times_out() {
    let addr = spawn_silent().await;
    let probe = probe_with(&[], Duration::from_millis(300));
    let started = Instant::now();
    let r = run_one(
        &probe,
        task(1, &format!("http://{addr}/"), "status-is", "200"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "timeout"),
        "{:?}",
        r.context
    );
    assert_eq!(r.context["error_type"], "Timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(r.elapsed_ms.unwrap() >= 300.0);
}

#[tokio::test]
async fn a_stalled_tls_handshake_times_out() {
    let addr = spawn_silent().await;
    let probe = probe_with(&[], Duration::from_millis(300));
    let r = run_one(
        &probe,
        task(
            1,
            &format!("https://{addr}/"),
            "ssl-certificate-expiration",
            "on-check",
        ),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "timeout"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn garbage_is_a_protocol_failure() {
    let addr = spawn_garbage().await;
    let r = run_one(
        &probe(&[]),
        task(1, &format!("http://{addr}/"), "status-is", "200"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "protocol"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn garbage_instead_of_tls_is_a_tls_failure() {
    let addr = spawn_garbage().await;
    let r = run_one(
        &probe(&[]),
        task(1, &format!("https://{addr}/"), "status-is", "200"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "tls"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let r = run_one(
        &probe(&[]),
        task(1, &format!("http://{addr}/"), "status-is", "200"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "connect"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn a_huge_body_is_cut_at_the_cap() {
    let addr = spawn_http(site(Hits::default())).await;
    let opts = ProbeOptions {
        max_body_bytes: 1024 * 1024,
        ..ProbeOptions::default()
    };
    let probe = Probe::new(opts).unwrap();
    let url = url::Url::parse(&format!("http://{addr}/big")).unwrap();
    let req = Request::get(url, IpVersion::V4);
    let fetched = probe.fetch(&req).await.unwrap();
    assert_eq!(fetched.body.len(), 1024 * 1024);
    assert!(fetched.body_truncated);
    assert_eq!(fetched.status, 200);

    let small = ProbeOptions {
        max_body_bytes: 20 * 1024 * 1024,
        ..ProbeOptions::default()
    };
    let fetched = Probe::new(small).unwrap().fetch(&req).await.unwrap();
    assert_eq!(
        (fetched.body.len(), fetched.body_truncated),
        (20 * 1024 * 1024, false)
    );
}

#[tokio::test]
async fn a_truncated_body_is_reported_by_body_checks() {
    let addr = spawn_http(site(Hits::default())).await;
    let r = run_one(
        &probe(&[]),
        task(1, &format!("http://{addr}/big"), "body-contains", "end"),
    )
    .await;
    assert_eq!(r.status, Status::Failure);
    assert_eq!(r.context["body_truncated"], true);
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap() {
    let addr = spawn_http(site(Hits::default())).await;
    let opts = ProbeOptions {
        max_body_bytes: 3 * 1024 * 1024 + 1,
        ..ProbeOptions::default()
    };
    let url = url::Url::parse(&format!("http://{addr}/endless")).unwrap();
    let req = Request::get(url, IpVersion::V4);
    let fetched = Probe::new(opts).unwrap().fetch(&req).await.unwrap();
    assert_eq!(
        (fetched.body.len(), fetched.body_truncated),
        (3 * 1024 * 1024 + 1, true)
    );
}

#[tokio::test]
async fn a_body_that_stalls_times_out() {
    let addr = spawn_http(site(Hits::default())).await;
    let probe = probe_with(&[], Duration::from_millis(300));
    let started = Instant::now();
    let r = run_one(
        &probe,
        task(1, &format!("http://{addr}/stall"), "status-is", "200"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "timeout"),
        "{:?}",
        r.context
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

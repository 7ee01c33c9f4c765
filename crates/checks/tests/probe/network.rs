//! The probes that are not HTTP: `port-open` (a TCP connect) and `dns-resolves` (a lookup),
//! and that they never trigger an HTTP request.

use std::time::Duration;

use argos_checks::group::run_group;
use argos_checks::{RequestOptions, Status};
use argos_testkit::{closed_port, spawn_http, spawn_silent};

use crate::support::{Hits, probe, probe_with, reason, run_one, site, task};

#[tokio::test]
async fn port_open_passes_on_a_listening_port_and_fails_on_a_closed_one() {
    let open = spawn_http(site(Hits::default())).await;
    let closed = closed_port();
    let probe = probe(&[]);
    let r = run_one(
        &probe,
        task(1, &format!("tcp://{open}"), "port-open", "true"),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["address"], open.to_string());
    assert!(r.context["timings"]["connect_ms"].as_f64().is_some());

    let r = run_one(
        &probe,
        task(2, &format!("tcp://{closed}"), "port-open", "true"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "connect"),
        "{:?}",
        r.context
    );
    assert!(
        r.context["error_message"]
            .as_str()
            .unwrap()
            .contains("refused")
    );

    // `false`: the port must not accept.
    let r = run_one(
        &probe,
        task(3, &format!("tcp://{closed}"), "port-open", "false"),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    let r = run_one(
        &probe,
        task(4, &format!("tcp://{open}"), "port-open", "false"),
    )
    .await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "expectation"));
}

#[tokio::test]
async fn port_open_by_name_times_the_lookup_and_uses_the_url_port() {
    let hits = Hits::default();
    let open = spawn_http(site(hits.clone())).await;
    let url = format!("http://localhost:{}/", open.port());
    let r = run_one(&probe(&[]), task(1, &url, "port-open", "true")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert!(r.context["timings"]["dns_ms"].as_f64().is_some());
    assert_eq!(hits.count(), 0, "a TCP check sends no HTTP request");
}

#[tokio::test]
async fn a_port_that_never_completes_the_handshake_times_out() {
    // A silent server completes the TCP handshake itself (the kernel does), so use a
    // non-routable address instead: TEST-NET-1 is never answered. Some sandboxes refuse it
    // at once, which is also a failure, only with another reason.
    let mut t = task(1, "tcp://192.0.2.1:9", "port-open", "true");
    t.request_options = Some(RequestOptions {
        timeout_ms: Some(300),
        ..RequestOptions::default()
    });
    let r = run_one(&probe(&[]), t).await;
    assert_eq!(r.status, Status::Failure);
    assert!(
        matches!(reason(&r), "timeout" | "connect"),
        "{:?}",
        r.context
    );
    // And a silent server is, for a TCP check, simply open.
    let silent = spawn_silent().await;
    let r = run_one(
        &probe_with(&[], Duration::from_millis(300)),
        task(2, &format!("tcp://{silent}"), "port-open", "true"),
    )
    .await;
    assert_eq!(r.status, Status::Success);
}

#[tokio::test]
async fn dns_resolves_checks_the_addresses_of_the_family() {
    let hits = Hits::default();
    let addr = spawn_http(site(hits.clone())).await;
    let url = format!("https://localhost:{}/", addr.port());
    let probe = probe(&[]);
    let r = run_one(&probe, task(1, &url, "dns-resolves", "true")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert!(
        r.context["retrieved"]
            .as_array()
            .unwrap()
            .contains(&"127.0.0.1".into())
    );
    assert!(r.context["timings"]["dns_ms"].as_f64().is_some());

    let r = run_one(&probe, task(2, &url, "dns-resolves", r#"["127.0.0.1"]"#)).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    let r = run_one(&probe, task(3, &url, "dns-resolves", r#"["192.0.2.1"]"#)).await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "expectation"));
    assert!(
        r.context["detail"]
            .as_str()
            .unwrap()
            .starts_with("localhost resolves to 127.0.0.1, not among the expected addresses"),
        "{:?}",
        r.context
    );
    assert_eq!(hits.count(), 0, "a DNS check sends no HTTP request");
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_a_dns_failure() {
    // RFC 6761: `.invalid` never resolves.
    let r = run_one(
        &probe(&[]),
        task(1, "https://argos-test.invalid/", "dns-resolves", "true"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "dns"),
        "{:?}",
        r.context
    );
    assert_eq!(r.context["error_type"], "DnsError");
}

#[tokio::test]
async fn one_group_runs_each_kind_of_probe_once() {
    let hits = Hits::default();
    let addr = spawn_http(site(hits.clone())).await;
    let url = format!("http://localhost:{}/", addr.port());
    let tasks = [
        task(1, &url, "status-is", "200"),
        task(2, &url, "dns-resolves", "true"),
        task(3, &url, "port-open", "true"),
        task(4, &url, "body-contains", "Welcome"),
    ];
    let results = run_group(&probe(&[]), &tasks).await;
    assert!(
        results.iter().all(|r| r.status == Status::Success),
        "{results:?}"
    );
    assert_eq!(hits.count(), 1, "one HTTP request for the two HTTP checks");
}

#[tokio::test]
async fn port_open_false_passes_only_on_a_refusal_or_silence_after_the_name_resolved() {
    let closed = closed_port();
    let probe = probe(&[]);
    // Refused: the port is closed, as wanted.
    let r = run_one(
        &probe,
        task(1, &format!("tcp://{closed}"), "port-open", "false"),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    // An IPv4 address on an IPv6 task: nothing was tried, so nothing is known of the port.
    let mut v6 = task(2, &format!("tcp://{closed}"), "port-open", "false");
    v6.ip_version = argos_checks::IpVersion::V6;
    let r = run_one(&probe, v6).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "connect"),
        "{:?}",
        r.context
    );
    // A name that does not resolve tells nothing about the port either.
    let r = run_one(
        &probe,
        task(3, "tcp://argos-test.invalid:5432", "port-open", "false"),
    )
    .await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "dns"),
        "{:?}",
        r.context
    );
}

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

/// Serves `body` with `content_type` on every path.
async fn serve(content_type: &'static str, body: Vec<u8>) -> std::net::SocketAddr {
    let router = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, content_type)], body) }
    });
    spawn_http(router).await
}

#[tokio::test]
async fn a_large_json_body_is_not_copied_into_the_result() {
    // 4 MiB of JSON: a result carries an excerpt, never the document.
    let items: Vec<String> = (0..100_000)
        .map(|i| format!("item number {i:>30}"))
        .collect();
    let body = serde_json::to_vec(&items).unwrap();
    assert!(body.len() > 4_000_000);
    let addr = serve("application/json", body).await;
    let opts = ProbeOptions {
        max_body_bytes: 8 * 1024 * 1024,
        ..ProbeOptions::default()
    };
    let probe = Probe::new(opts).unwrap();
    let url = format!("http://{addr}/");
    let tasks = [
        task(
            1,
            &url,
            "json-has",
            r#"{"/0": "item number                              0"}"#,
        ),
        task(2, &url, "json-is", "[]"),
        task(3, &url, "json-contains", r#"["/99999"]"#),
        task(4, &url, "json-like", r#"{"/1": "^item"}"#),
    ];
    let results = argos_checks::group::run_group(&probe, &tasks).await;
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Success,
            Status::Failure,
            Status::Success,
            Status::Success
        ]
    );
    for r in &results {
        let size = serde_json::to_vec(r).unwrap().len();
        assert!(size < 32 * 1024, "task {}: {size} bytes", r.task_id);
        assert_eq!(r.context["truncated"], serde_json::json!(["retrieved"]));
        let excerpt = r.context["retrieved"].as_str().unwrap();
        assert!(excerpt.starts_with("[\"item number"), "{excerpt}");
        assert!(excerpt.ends_with('…'));
    }
}

#[tokio::test]
async fn deeply_nested_json_is_an_error_not_a_crash() {
    // Far beyond serde_json's recursion limit (128).
    let depth = 200_000;
    let mut body = vec![b'['; depth];
    body.extend(std::iter::repeat_n(b']', depth));
    let addr = serve("application/json", body).await;
    let url = format!("http://{addr}/");
    let tasks = [
        task(1, &url, "json-contains", r#"["/0"]"#),
        task(2, &url, "json-is", "[]"),
        task(3, &url, "status-is", "200"),
    ];
    let results = argos_checks::group::run_group(&probe(&[]), &tasks).await;
    for r in &results[..2] {
        assert_eq!(r.status, Status::Error, "{:?}", r.context);
        assert_eq!(r.context["error_type"], "InvalidJson");
        let message = r.context["error_message"].as_str().unwrap();
        assert!(message.contains("recursion limit"), "{message}");
    }
    assert_eq!(
        results[2].status,
        Status::Success,
        "other checks unaffected"
    );
}

#[tokio::test]
async fn an_address_that_never_answers_costs_the_deadline_and_no_more() {
    let (addr, _queued, _listener) = argos_testkit::blackhole().await;
    let mut tasks = vec![
        task(1, &format!("http://{addr}/"), "status-is", "200"),
        task(2, &format!("tcp://{addr}"), "port-open", "true"),
        task(3, &format!("tcp://{addr}"), "port-open", "false"),
    ];
    for t in &mut tasks {
        t.request_options = Some(argos_checks::RequestOptions {
            timeout_ms: Some(500),
            ..argos_checks::RequestOptions::default()
        });
    }
    let started = Instant::now();
    let results = argos_checks::group::run_group(&probe(&[]), &tasks).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        (results[0].status, reason(&results[0])),
        (Status::Failure, "timeout"),
        "{:?}",
        results[0].context
    );
    assert_eq!(
        (results[1].status, reason(&results[1])),
        (Status::Failure, "timeout"),
        "{:?}",
        results[1].context
    );
    // Silence after the address was known: the port is not open, as port-open: false wants.
    assert_eq!(
        results[2].status,
        Status::Success,
        "{:?}",
        results[2].context
    );
}

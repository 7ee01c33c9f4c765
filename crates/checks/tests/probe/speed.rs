//! Time: phase timings on every result, `response-time` at each severity, the per-path
//! `timeout`, and the per-path body cap.

use std::time::{Duration, Instant};

use argos_checks::{RequestOptions, Severity, Status, finalize};
use argos_testkit::{slow, spawn_http};

use crate::support::{Hits, probe, probe_with, reason, run_one, site, task};

fn severity(r: &argos_checks::AgentResult) -> Severity {
    finalize("response-time", r.status, &r.context, &[]).1
}

#[tokio::test]
async fn every_result_records_its_phases() {
    let addr = spawn_http(site(Hits::default())).await;
    // By name: the lookup is timed too.
    let url = format!("http://localhost:{}/", addr.port());
    let r = run_one(&probe(&[]), task(1, &url, "status-is", "200")).await;
    let t = &r.context["timings"];
    for phase in ["dns_ms", "connect_ms", "ttfb_ms", "total_ms"] {
        assert!(
            t[phase].as_f64().is_some_and(|ms| ms >= 0.0),
            "{phase}: {t}"
        );
    }
    assert!(t["ttfb_ms"].as_f64() <= t["total_ms"].as_f64());
    assert!(t["dns_ms"].as_f64() <= t["ttfb_ms"].as_f64());
    // By address: no lookup, so no dns_ms rather than a made-up zero.
    let r = run_one(
        &probe(&[]),
        task(1, &format!("http://{addr}/"), "status-is", "200"),
    )
    .await;
    assert!(
        r.context["timings"].get("dns_ms").is_none(),
        "{}",
        r.context
    );
    assert!(r.context["timings"]["connect_ms"].as_f64().is_some());
}

#[tokio::test]
async fn response_time_is_ok_warning_or_critical() {
    let addr = spawn_http(slow(Duration::from_millis(300))).await;
    let url = format!("http://{addr}/");
    let probe = probe(&[]);
    let cases = [
        (r#"{"critical_ms": 5000, "warning_ms": 2000}"#, Severity::Ok),
        (
            r#"{"critical_ms": 5000, "warning_ms": 100}"#,
            Severity::Warning,
        ),
        (
            r#"{"critical_ms": 200, "warning_ms": 100}"#,
            Severity::Critical,
        ),
        (r#"{"warning_ms": 100}"#, Severity::Warning),
        (r#"{"critical_ms": 100}"#, Severity::Critical),
    ];
    for (expected, want) in cases {
        let r = run_one(&probe, task(1, &url, "response-time", expected)).await;
        assert_eq!(severity(&r), want, "{expected}: {:?}", r.context);
        let ms = r.context["retrieved_ms"].as_f64().unwrap();
        assert!(ms >= 300.0, "{ms}");
        if want != Severity::Ok {
            assert_eq!(reason(&r), "slow");
            assert!(
                r.context["detail"]
                    .as_str()
                    .unwrap()
                    .contains("more than the")
            );
        }
    }
}

#[tokio::test]
async fn a_path_timeout_overrides_the_agent_default_both_ways() {
    let addr = spawn_http(slow(Duration::from_millis(600))).await;
    let url = format!("http://{addr}/");
    let short = |ms| {
        let mut t = task(1, &url, "status-is", "200");
        t.request_options = Some(RequestOptions {
            timeout_ms: Some(ms),
            ..RequestOptions::default()
        });
        t
    };
    // Shorter than the agent's 10 s default: times out.
    let started = Instant::now();
    let r = run_one(&probe(&[]), short(200)).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "timeout"),
        "{:?}",
        r.context
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // Longer than an agent default of 100 ms: waits for the answer.
    let r = run_one(&probe_with(&[], Duration::from_millis(100)), short(3_000)).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    // A timed-out response-time is critical, not a warning.
    let mut t = short(200);
    t.check = "response-time".into();
    t.expected = r#"{"warning_ms": 100}"#.into();
    let r = run_one(&probe(&[]), t).await;
    assert_eq!((reason(&r), severity(&r)), ("timeout", Severity::Critical));
}

#[tokio::test]
async fn a_path_body_cap_applies() {
    let addr = spawn_http(site(Hits::default())).await;
    let mut t = task(
        1,
        &format!("http://{addr}/endless"),
        "body-not-contains",
        "z",
    );
    t.request_options = Some(RequestOptions {
        max_body_bytes: Some(100_000),
        ..RequestOptions::default()
    });
    let r = run_one(&probe(&[]), t).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["body_truncated"], true);
}

//! Redirects: `redirects-to`, `follow_redirects` with its hop limit, loops, and
//! `http-to-https` on a path that follows redirects.

use std::time::{Duration, Instant};

use argos_checks::{RequestOptions, Status};
use argos_testkit::{TestCa, redirects, spawn_dual, spawn_http};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};

use crate::support::{Hits, probe, reason, run_one, site, task};

fn follow(hops: u32) -> Option<RequestOptions> {
    Some(RequestOptions {
        follow_redirects: Some(hops),
        ..RequestOptions::default()
    })
}

#[tokio::test]
async fn redirects_to_passes_on_the_expected_location_only() {
    let addr = spawn_http(redirects()).await;
    let probe = probe(&[]);
    let moved = format!("http://{addr}/moved");
    let r = run_one(&probe, task(1, &moved, "redirects-to", "/new")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(
        (
            r.context["retrieved"].as_u64(),
            r.context["location"].as_str()
        ),
        (Some(301), Some("/new"))
    );
    let absolute = format!("http://{addr}/new");
    let r = run_one(&probe, task(2, &moved, "redirects-to", &absolute)).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);

    let r = run_one(&probe, task(3, &moved, "redirects-to", "/elsewhere")).await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "expectation"));
    assert_eq!(
        r.context["detail"],
        format!("the redirect goes to http://{addr}/new, not http://{addr}/elsewhere")
    );
    let r = run_one(&probe, task(4, &absolute, "redirects-to", "/new")).await;
    assert_eq!(r.context["detail"], "status 200 is not a redirect");
}

#[tokio::test]
async fn following_redirects_checks_the_last_answer_and_records_the_chain() {
    let addr = spawn_http(redirects()).await;
    let probe = probe(&[]);
    let start = format!("http://{addr}/hop/3");
    let mut t = task(1, &start, "body-contains", "arrived");
    t.request_options = follow(3);
    let r = run_one(&probe, t.clone()).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    let hops = r.context["redirects"].as_array().unwrap();
    assert_eq!(hops.len(), 3);
    assert_eq!(hops[0]["location"], "/hop/2");
    assert_eq!(hops[2]["url"], format!("http://{addr}/hop/1"));

    // Without following, the same check sees the first answer: a 302 without the text.
    t.request_options = None;
    let r = run_one(&probe, t).await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "expectation"));

    // redirects-to still judges the first answer when following.
    let mut t = task(2, &start, "redirects-to", "/hop/2");
    t.request_options = follow(5);
    assert_eq!(run_one(&probe, t).await.status, Status::Success);
}

#[tokio::test]
async fn a_chain_longer_than_the_limit_stops_there() {
    let addr = spawn_http(redirects()).await;
    let mut t = task(1, &format!("http://{addr}/hop/3"), "status-is", "200");
    t.request_options = follow(2);
    let r = run_one(&probe(&[]), t).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "too-many-redirects"),
        "{:?}",
        r.context
    );
    assert_eq!(r.context["error_type"], "RedirectError");
}

#[tokio::test]
async fn endless_redirects_stop_at_the_limit_and_loops_are_named() {
    let addr = spawn_http(redirects()).await;
    let probe = probe(&[]);
    let mut away = task(1, &format!("http://{addr}/away/0"), "status-is", "200");
    away.request_options = follow(20);
    let started = Instant::now();
    let r = run_one(&probe, away).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "too-many-redirects")
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let mut looped = task(2, &format!("http://{addr}/loop/a"), "status-is", "200");
    looped.request_options = follow(10);
    let r = run_one(&probe, looped).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "redirect-loop"),
        "{:?}",
        r.context
    );
    assert_eq!(
        r.context["error_message"],
        format!("redirect loop: http://{addr}/loop/b sends back to http://{addr}/loop/a")
    );
}

#[tokio::test]
async fn http_to_https_judges_the_first_answer_when_following() {
    // One port, both protocols: plain HTTP redirects to the https:// URL of the same port.
    let ca = TestCa::new();
    let in_30_days = chrono::Utc::now() + chrono::Duration::days(30);
    let plain = Router::new().fallback(|headers: HeaderMap| async move {
        let host = headers[header::HOST]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("https://{host}/"))],
        )
    });
    let addr = spawn_dual(
        site(Hits::default()),
        plain,
        &ca,
        &["localhost"],
        in_30_days,
    )
    .await;
    let url = format!("https://localhost:{}/", addr.port());
    let mut t = task(1, &url, "http-to-https", r#"{"value": 301}"#);
    t.request_options = follow(3);
    let r = run_one(&probe(&[ca.pem()]), t).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["redirects"][0]["location"], url);
}

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

/// Answers every request with `status` and `Location: <to>`.
fn redirect_to(status: StatusCode, to: String) -> Router {
    Router::new().fallback(move || {
        let to = to.clone();
        async move { (status, [(header::LOCATION, to)]) }
    })
}

fn follow_with(hops: u32, to_private: bool, with_data: bool) -> Option<RequestOptions> {
    Some(RequestOptions {
        follow_redirects: Some(hops),
        follow_redirects_to_private: to_private,
        follow_redirects_with_data: with_data,
        ..RequestOptions::default()
    })
}

#[tokio::test]
async fn a_redirect_to_another_host_on_a_private_address_is_blocked_unless_allowed() {
    let target = spawn_http(site(Hits::default())).await;
    let probe = probe(&[]);
    // "localhost" resolves to loopback; so does the IPv4-mapped form of 127.0.0.1.
    for to in [
        format!("http://localhost:{}/", target.port()),
        format!("http://[::ffff:127.0.0.1]:{}/", target.port()),
        format!("http://0.0.0.0:{}/", target.port()),
    ] {
        let start = spawn_http(redirect_to(StatusCode::FOUND, to.clone())).await;
        let url = format!("http://127.0.0.1:{}/", start.port());
        let mut t = task(1, &url, "status-is", "200");
        t.request_options = follow(3);
        let r = run_one(&probe, t.clone()).await;
        assert_eq!(
            (r.status, reason(&r)),
            (Status::Failure, "redirect-blocked"),
            "{to}: {:?}",
            r.context
        );
        assert_eq!(r.context["error_type"], "RedirectError");
        // The path opts in: followed (an IPv4 task can only follow the IPv4 form, though).
        t.request_options = follow_with(3, true, false);
        let r = run_one(&probe, t).await;
        assert_ne!(
            reason_of(&r),
            Some("redirect-blocked"),
            "{to}: {:?}",
            r.context
        );
        if to.contains("localhost") {
            assert_eq!(r.status, Status::Success, "{to}: {:?}", r.context);
        }
    }
}

fn reason_of(r: &argos_checks::AgentResult) -> Option<&str> {
    r.context.get("reason").and_then(|v| v.as_str())
}

#[tokio::test]
async fn a_redirect_on_the_same_host_is_followed() {
    // Another port of the host checked (http → https on an intranet, say) is not blocked.
    let target = spawn_http(site(Hits::default())).await;
    let start = spawn_http(redirect_to(
        StatusCode::FOUND,
        format!("http://127.0.0.1:{}/", target.port()),
    ))
    .await;
    let mut t = task(
        1,
        &format!("http://127.0.0.1:{}/", start.port()),
        "status-is",
        "200",
    );
    t.request_options = follow(3);
    let r = run_one(&probe(&[]), t).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
}

#[tokio::test]
async fn a_cross_origin_307_drops_the_body_and_headers_unless_allowed() {
    let echo = spawn_http(site(Hits::default())).await;
    let start = spawn_http(redirect_to(
        StatusCode::TEMPORARY_REDIRECT,
        format!("http://127.0.0.1:{}/echo", echo.port()),
    ))
    .await;
    let data = argos_checks::RequestData {
        data: serde_json::json!("secret form"),
        json: false,
        headers: Some([("X-Token".to_owned(), "s3cret".to_owned())].into()),
    };
    let mut t = task(
        1,
        &format!("http://127.0.0.1:{}/", start.port()),
        "json-contains",
        r#"[""]"#,
    );
    t.method = argos_checks::Method::Post;
    t.request_data = Some(data.to_text());
    t.request_options = follow(3);
    let r = run_one(&probe(&[]), t.clone()).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    let echoed = &r.context["retrieved"];
    assert_eq!(echoed["method"], "POST", "{echoed}");
    assert_eq!(
        (echoed["body"].as_str(), echoed["x_token"].as_str()),
        (Some(""), None)
    );
    // Opted in: the body and headers follow the 307.
    t.request_options = follow_with(3, false, true);
    let r = run_one(&probe(&[]), t).await;
    let echoed = &r.context["retrieved"];
    assert_eq!(
        (echoed["body"].as_str(), echoed["x_token"].as_str()),
        (Some("secret form"), Some("s3cret")),
        "{echoed}"
    );
}

//! The whole loop: config → store → lease → our agent → checks against local HTTP(S) servers
//! → ingest → severities through the API, on SQLite and PostgreSQL.

use std::time::Duration;

use argos_testkit::{TestCa, spawn_dual, spawn_http, spawn_https};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use crate::helpers::{Backend, with_app};

/// A small site: `/` says hello, `/status.json` is JSON.
pub fn site() -> Router {
    Router::new()
        .route("/", get(|| async { "hello from argos tests" }))
        .route(
            "/status.json",
            get(|| async { axum::Json(json!({"status": "ok", "n": 1})) }),
        )
        .fallback(|| async { (StatusCode::OK, "ok site") })
}

/// Plain-HTTP side of a dual server: redirects to the https URL of the same host and path.
fn to_https() -> Router {
    Router::new().fallback(|headers: HeaderMap, uri: axum::http::Uri| async move {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned();
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("https://{host}{}", uri.path()))],
        )
    })
}

/// Plain-HTTP side that redirects to another plain-HTTP URL (a broken http→https setup).
fn to_http_elsewhere() -> Router {
    Router::new().fallback(|| async {
        (
            StatusCode::FOUND,
            [(header::LOCATION, "http://localhost/elsewhere")],
        )
    })
}

struct Targets {
    ca: TestCa,
    plain: u16,
    valid: u16,
    soon: u16,
    expired: u16,
    wrong_host: u16,
    bad_redirect: u16,
}

async fn targets() -> Targets {
    let ca = TestCa::new();
    let names = ["localhost", "127.0.0.1"];
    let in_days = |d: i64| Utc::now() + chrono::Duration::days(d);
    Targets {
        plain: spawn_http(site()).await.port(),
        valid: spawn_dual(site(), to_https(), &ca, &names, in_days(90))
            .await
            .port(),
        soon: spawn_https(site(), &ca, &names, in_days(3)).await.port(),
        expired: spawn_https(site(), &ca, &names, in_days(-3)).await.port(),
        wrong_host: spawn_https(site(), &ca, &["wrong.test"], in_days(90))
            .await
            .port(),
        bad_redirect: spawn_dual(site(), to_http_elsewhere(), &ca, &names, in_days(90))
            .await
            .port(),
        ca,
    }
}

fn websites(t: &Targets) -> String {
    format!(
        r#"  - domain: "http://127.0.0.1:{plain}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - body-contains: "hello from argos"
          - body-like: "hel+o .* tests"
          - status-is: 201
          - ssl-certificate-expiration: "on-check"
      - path: "/status.json"
        checks:
          - json-has: {{"/status": "ok"}}
          - json-has: {{"/n": true}}
          - status-in: [200, 204]
  - domain: "https://localhost:{valid}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - ssl-certificate-expiration: "on-check"
          - http-to-https: 301
  - domain: "https://localhost:{soon}"
    paths:
      - path: "/"
        checks:
          - ssl-certificate-expiration: "on-check"
  - domain: "https://localhost:{expired}"
    paths:
      - path: "/"
        checks:
          - ssl-certificate-expiration: "on-check"
          - status-is: 200
  - domain: "https://localhost:{wrong}"
    paths:
      - path: "/"
        checks:
          - ssl-certificate-expiration: "on-check"
  - domain: "https://localhost:{bad}"
    paths:
      - path: "/"
        checks:
          - http-to-https: true
"#,
        plain = t.plain,
        valid = t.valid,
        soon = t.soon,
        expired = t.expired,
        wrong = t.wrong_host,
        bad = t.bad_redirect,
    )
}

fn row(url: String, check: &str, severity: &str) -> (String, String, String) {
    (url, check.to_owned(), severity.to_owned())
}

async fn whole_loop(backend: Backend) {
    let t = targets().await;
    with_app(backend, &websites(&t), |app| async move {
        let agent = app.spawn_agent("agent-1", Some(t.ca.pem()));
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.stop().await;

        let plain = format!("127.0.0.1:{}", t.plain);
        let root = format!("http://{plain}/");
        let json_url = format!("http://{plain}/status.json");
        let mut want = vec![
            row(root.clone(), "body-contains", "ok"),
            row(root.clone(), "body-like", "ok"),
            row(root.clone(), "ssl-certificate-expiration", "unknown"), // plain HTTP: cannot check
            row(root.clone(), "status-is", "critical"),                 // expects 201
            row(root.clone(), "status-is", "ok"),
            row(json_url.clone(), "json-has", "critical"), // /n is 1, and 1 is not true
            row(json_url.clone(), "json-has", "ok"),
            row(json_url, "status-in", "ok"),
        ];
        want.sort();
        assert_eq!(app.severities_of(&plain).await, want);

        let one = |port: u16, check: &str, sev: &str| {
            row(format!("https://localhost:{port}/"), check, sev)
        };
        let mut valid = vec![
            one(t.valid, "http-to-https", "ok"),
            one(t.valid, "ssl-certificate-expiration", "ok"),
            one(t.valid, "status-is", "ok"),
        ];
        valid.sort();
        assert_eq!(
            app.severities_of(&format!("localhost:{}", t.valid)).await,
            valid
        );
        assert_eq!(
            app.severities_of(&format!("localhost:{}", t.soon)).await,
            vec![one(t.soon, "ssl-certificate-expiration", "warning")]
        );
        let mut expired = vec![
            one(t.expired, "ssl-certificate-expiration", "critical"),
            one(t.expired, "status-is", "critical"),
        ];
        expired.sort();
        assert_eq!(
            app.severities_of(&format!("localhost:{}", t.expired)).await,
            expired
        );
        assert_eq!(
            app.severities_of(&format!("localhost:{}", t.wrong_host))
                .await,
            vec![one(t.wrong_host, "ssl-certificate-expiration", "critical")]
        );
        assert_eq!(
            app.severities_of(&format!("localhost:{}", t.bad_redirect))
                .await,
            vec![one(t.bad_redirect, "http-to-https", "critical")]
        );

        // The reasons are recorded, machine-readable.
        let expired_tasks = app.tasks_of(&format!("localhost:{}", t.expired)).await;
        let result_id = expired_tasks[0]["last_result_id"].as_i64().unwrap();
        let result = app.state.store.result(result_id).await.unwrap();
        assert_eq!(
            result.context["reason"], "tls-expired",
            "{}",
            result.context
        );
        assert!(result.elapsed_ms.is_some());

        // Severity counts through the Shinken-compatible endpoint: 16 tasks in all.
        let counts = app.get_json("/api/severities").await;
        assert_eq!(
            counts,
            json!({"ok": 8, "warning": 1, "critical": 6, "unknown": 1})
        );
        let summary = app.get_json("/api/app/").await;
        assert_eq!(summary["agents"], 1);
        assert_eq!(summary["waiting_tasks"], 0);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_loop_on_sqlite() {
    whole_loop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_loop_on_postgres() {
    whole_loop(Backend::Postgres).await;
}

/// `count` websites on one local server, two checks each: all must end ok.
pub fn many_sites(port: u16, count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "  - domain: \"http://127.0.0.1:{port}/site{i}/\"\n    paths:\n      - path: \"page\"\n        checks:\n          - status-is: 200\n          - body-contains: \"ok site\"\n"
            )
        })
        .collect()
}

async fn two_hundred_sites(backend: Backend) {
    let port = spawn_http(site()).await.port();
    with_app(backend, &many_sites(port, 200), |app| async move {
        let agent = app.spawn_agent("agent-200", None);
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.stop().await;
        assert_eq!(
            app.get_json("/api/severities").await,
            json!({"ok": 400, "warning": 0, "critical": 0, "unknown": 0})
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_sites_all_ok_on_sqlite() {
    two_hundred_sites(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_sites_all_ok_on_postgres() {
    two_hundred_sites(Backend::Postgres).await;
}

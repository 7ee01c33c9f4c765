//! A visitor's journey in headless Chromium driven through chromedriver: with logins
//! required, `/` leads to the login page; the visitor logs in, gets the dashboard, follows
//! the "Critical" tile to the failing domains, then one of them to its page and its chart.
//! Every page on the way, and those one click further (a check's history, a result, the
//! agents, the alerts), passes axe-core's serious and critical rules in light and dark mode.
//! The four pages of the journey fit a phone's width (390 CSS pixels). The login page, the
//! dashboard and the domain page are photographed into `target/browser-screenshots/` (with
//! dark and phone versions), and with `ARGOS_UPDATE_SCREENSHOTS=1` into `docs/screenshots/`
//! too (the pictures of the documentation).
//!
//! The history behind the chart is recorded through the store before the agent runs (a day
//! of hourly results); everything after that is real: our agent checks local sites, and the
//! pages come from the running server.

use std::path::PathBuf;
use std::time::Duration;

use argos_checks::{Severity, Status};
use argos_server::auth::password;
use argos_server::store::Finished;
use argos_testkit::{TestCa, spawn_http, spawn_https};
use axum::Router;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::json;

use super::axe::{self, Violation};
use super::webdriver::Chrome;
use crate::e2e::site;
use crate::helpers::{Backend, TestApp, config_with, with_db};

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";
/// Our agent, which also "recorded" the history.
const AGENT: &str = "agent-1";
/// Hours of history recorded before the agent's own checks, for the chart.
const HISTORY_HOURS: i64 = 24;
/// The failing site went down this many hours ago.
const DOWN_FOR_HOURS: i64 = 3;

/// The local sites: all OK, down (a slow 503), and with a certificate expiring in 3 days.
struct Sites {
    ca: TestCa,
    ok: u16,
    down: u16,
    expiring: u16,
}

async fn sites() -> Sites {
    let ca = TestCa::new();
    // A struggling site: slow, then 503.
    let down = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance")
    });
    let in_3_days = Utc::now() + chrono::Duration::days(3);
    Sites {
        ok: spawn_http(site()).await.port(),
        down: spawn_http(down).await.port(),
        expiring: spawn_https(site(), &ca, &["localhost"], in_3_days)
            .await
            .port(),
        ca,
    }
}

fn websites(s: &Sites) -> String {
    format!(
        r#"  - domain: "http://127.0.0.1:{ok}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - body-contains: "hello from argos"
      - path: "/status.json"
        checks:
          - json-has: {{"/status": "ok"}}
  - domain: "http://localhost:{down}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
      - path: "/feed.xml"
        checks:
          - status-is: 200
  - domain: "https://localhost:{expiring}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - ssl-certificate-expiration: "on-check"
"#,
        ok = s.ok,
        down = s.down,
        expiring = s.expiring,
    )
}

/// Records a day of hourly results before the agent's first check, as if Argos had been
/// watching the sites: the chart then has a line to draw, and the failing site went down
/// [`DOWN_FOR_HOURS`] ago. Results are ingested at past times, like an agent's would have
/// been (each makes its task due again right away: its next run is an hour in the past).
async fn record_history(app: &TestApp, down_port: u16) {
    let store = &app.state.store;
    for hours_ago in (1..=HISTORY_HOURS).rev() {
        let at = Utc::now() - chrono::Duration::hours(hours_ago);
        let leased = store
            .lease(AGENT, 1000, Duration::from_secs(60), Utc::now())
            .await
            .unwrap();
        assert!(!leased.is_empty(), "every task is due");
        let batch: Vec<Finished> = leased
            .iter()
            .map(|t| {
                let failing =
                    t.url.contains(&format!(":{down_port}/")) && hours_ago <= DOWN_FOR_HOURS;
                // A made-up but plausible day: some sites are slower, evenings busier.
                let base = 40.0 + (t.id % 3) as f64 * 35.0;
                let wave = 1.0 + 0.35 * ((hours_ago as f64) * 0.55 + t.id as f64).sin();
                Finished {
                    task_id: t.id,
                    status: if failing {
                        Status::Failure
                    } else {
                        Status::Success
                    },
                    severity: if failing {
                        Severity::Critical
                    } else {
                        Severity::Ok
                    },
                    context: json!({}),
                    elapsed_ms: Some(base * wave * if failing { 2.5 } else { 1.0 }),
                }
            })
            .collect();
        store.ingest(AGENT, &batch, at).await.unwrap();
    }
}

/// Where screenshots go: `target/browser-screenshots/` (or under `CARGO_TARGET_DIR`).
fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    target.join("browser-screenshots")
}

/// Writes the screenshot `name`.png into the output directory, and into `docs/screenshots/`
/// too when `docs` and `ARGOS_UPDATE_SCREENSHOTS=1`.
fn save(name: &str, png: &[u8], docs: bool) {
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "{name}: a real rendering, got {} bytes",
        png.len()
    );
    let mut dirs = vec![output_dir()];
    if docs && std::env::var("ARGOS_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        dirs.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/screenshots"
        )));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.canonicalize().unwrap().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
}

/// axe's findings on the current page in light then dark mode (both colour schemes have
/// their own palette).
async fn accessibility(chrome: &Chrome, page: &str, found: &mut Vec<Violation>) {
    found.extend(axe::check(chrome, page).await);
    chrome.color_scheme("dark").await;
    found.extend(axe::check(chrome, &format!("{page} (dark)")).await);
    chrome.color_scheme("light").await;
}

/// The page's width in CSS pixels against the window's: nothing may stick out sideways
/// (wide tables scroll inside their `.scroll` box).
async fn assert_fits(chrome: &Chrome, page: &str) {
    let w = chrome
        .execute(
            "return [document.documentElement.scrollWidth, innerWidth]",
            json!([]),
        )
        .await;
    let (doc, inner) = (w[0].as_u64().unwrap(), w[1].as_u64().unwrap());
    assert!(inner <= 400, "the window is phone-sized: {inner} px");
    if doc > inner {
        let wide = chrome
            .execute(
                "return [...document.querySelectorAll('body *')]
                   .filter((e) => e.getBoundingClientRect().right > innerWidth + 1
                     && (!e.parentElement.closest('.scroll')
                       || ['absolute', 'fixed'].includes(getComputedStyle(e).position)))
                   .slice(0, 8)
                   .map((e) => `${Math.round(e.getBoundingClientRect().right)} px: ${e.outerHTML.slice(0, 120)}`)",
                json!([]),
            )
            .await;
        panic!("{page} is {doc} px wide in a {inner} px window; too wide: {wide:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_logs_in_and_follows_the_critical_tile_to_a_domain_chart() {
    let Some((chromium, chromedriver)) = super::chromium_and_driver() else {
        return;
    };
    let s = sites().await;
    with_db(Backend::Sqlite, |url| async move {
        let yaml = config_with(&url, "  # unauthenticated_access: unset\n", &websites(&s));
        let app = TestApp::spawn(&yaml, true).await;
        let hash = password::hash(PASSWORD.into()).await.unwrap();
        let store = &app.state.store;
        store.create_user(USER, &hash, Utc::now()).await.unwrap();
        record_history(&app, s.down).await;
        let agent = app.spawn_agent(AGENT, Some(s.ca.pem()));
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.stop().await;

        let chrome = Chrome::start(&chromedriver, &chromium, 1280, 900).await;
        let mut violations = Vec::new();
        let base = &app.base;

        // Logins are required: the dashboard sends to the login page.
        chrome.goto(&format!("{base}/")).await;
        let url = chrome.url().await;
        assert_eq!(url, format!("{base}/login?next=%2F"));
        assert_eq!(chrome.title().await, "Log in · Argos");
        save("login", &chrome.full_page_screenshot(1280).await, true);
        // The pages' Content-Security-Policy refuses inline script; WebDriver's scripts (axe
        // below) are not page scripts and run all the same.
        let inline = chrome
            .execute(
                "const s = document.createElement('script');
                 s.textContent = 'window.inlineRan = true';
                 document.head.append(s);
                 return window.inlineRan === true",
                json!([]),
            )
            .await;
        assert_eq!(inline, json!(false), "the CSP blocks inline script");
        accessibility(&chrome, "login page", &mut violations).await;
        chrome.set_window_size(390, 844).await;
        assert_fits(&chrome, "login page").await;
        chrome.set_window_size(1280, 900).await;

        let name = chrome.find("input#username").await;
        chrome.type_into(&name, USER).await;
        let pw = chrome.find("input#password").await;
        chrome.type_into(&pw, PASSWORD).await;
        let submit = chrome.find("main form button[type=submit]").await;
        chrome.click(&submit).await;
        chrome
            .wait_for_url("the dashboard", |u| u == format!("{base}/"))
            .await;
        assert_eq!(chrome.title().await, "Dashboard · Argos");
        let count = |sev: &'static str| {
            let chrome = &chrome;
            async move {
                let el = chrome.find(&format!("[data-severity={sev}]")).await;
                chrome.text(&el).await
            }
        };
        assert_eq!(
            [
                count("ok").await,
                count("warning").await,
                count("critical").await
            ],
            ["4", "1", "2"],
            "ok, warning, critical tasks"
        );
        let user = chrome.find("header .logout").await;
        assert!(chrome.text(&user).await.contains(USER));
        save("dashboard", &chrome.full_page_screenshot(1280).await, true);
        accessibility(&chrome, "dashboard", &mut violations).await;

        let tile = chrome.find("a.tile.sev-critical").await;
        chrome.click(&tile).await;
        let domains = chrome
            .wait_for_url("the critical domains", |u| {
                u.ends_with("/domains?s=critical")
            })
            .await;
        assert_eq!(domains, format!("{base}/domains?s=critical"));
        let links = chrome.find_all("main table a[href*='/domain/']").await;
        let failing = format!("localhost:{}", s.down);
        assert_eq!(links.len(), 1, "one critical domain");
        assert_eq!(chrome.text(&links[0]).await, failing);
        accessibility(&chrome, "domains list", &mut violations).await;

        chrome.click(&links[0]).await;
        chrome
            .wait_for_url("the domain page", |u| u.contains("/domain/"))
            .await;
        assert_eq!(chrome.title().await, format!("{failing} · Argos"));
        let charts = chrome.find_all("figure svg[role=img]").await;
        assert_eq!(charts.len(), 1, "the response-time chart");
        let lines = chrome.find_all("figure svg polyline").await;
        assert!(!lines.is_empty(), "the chart draws the recorded history");
        save("domain", &chrome.full_page_screenshot(1280).await, true);
        accessibility(&chrome, "domain page", &mut violations).await;
        let domain_url = chrome.url().await;

        // The pages one click further: a check's history, one result; and the agents and
        // alerts of the menu.
        let history = chrome.find("main table a[href$='/results']").await;
        chrome.click(&history).await;
        chrome
            .wait_for_url("a check's history", |u| u.ends_with("/results"))
            .await;
        accessibility(&chrome, "check history", &mut violations).await;
        let result = chrome.find("main table a[href*='/result/']").await;
        chrome.click(&result).await;
        chrome
            .wait_for_url("a result", |u| u.contains("/result/"))
            .await;
        accessibility(&chrome, "result", &mut violations).await;
        for page in ["agents", "alerts"] {
            chrome.goto(&format!("{base}/{page}")).await;
            accessibility(&chrome, page, &mut violations).await;
        }
        chrome.goto(&domain_url).await;

        // Dark mode, for the eye (output directory only).
        chrome.color_scheme("dark").await;
        save(
            "domain-dark",
            &chrome.full_page_screenshot(1280).await,
            false,
        );
        chrome.goto(&format!("{base}/")).await;
        save(
            "dashboard-dark",
            &chrome.full_page_screenshot(1280).await,
            false,
        );
        chrome.color_scheme("light").await;

        // A phone: 390×844 CSS pixels.
        chrome.set_window_size(390, 844).await;
        for (page, url, shot) in [
            ("dashboard", format!("{base}/"), "phone-dashboard"),
            ("domains list", domains.clone(), "phone-domains"),
            ("domain page", domain_url, "phone-domain"),
        ] {
            chrome.goto(&url).await;
            assert_fits(&chrome, page).await;
            save(shot, &chrome.full_page_screenshot(390).await, false);
        }
        chrome.quit().await;

        eprintln!(
            "axe-core {}: {} finding(s)",
            axe::version(),
            violations.len()
        );
        eprintln!("{}", axe::report(&violations));
        let failing: Vec<Violation> = violations.into_iter().filter(Violation::fails).collect();
        assert!(
            failing.is_empty(),
            "serious or critical accessibility violations:\n{}",
            axe::report(&failing)
        );
        app.stop().await;
    })
    .await;
}

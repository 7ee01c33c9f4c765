//! Alerting end to end, on SQLite and PostgreSQL: a local site goes down and comes back
//! while our agent checks it; a webhook receiver counts what leaves. Also a server killed
//! between the commit of an alert and its sending, and the no-agent alert.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_testkit::spawn_http;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::Value;

use argos_server::alerting::no_agent;
use argos_server::store::AlertKind;

use crate::helpers::{Backend, TestApp, config_with, with_db};

/// A webhook receiver: every JSON body posted to `/hook`, in order.
#[derive(Clone, Default)]
pub struct Receiver(Arc<Mutex<Vec<Value>>>);

impl Receiver {
    pub async fn start() -> (Receiver, u16) {
        let r = Receiver::default();
        let router = Router::new()
            .route(
                "/hook",
                post(
                    |State(r): State<Receiver>, body: axum::Json<Value>| async move {
                        r.0.lock().unwrap().push(body.0);
                        StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(r.clone());
        (r, spawn_http(router).await.port())
    }

    pub fn got(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `n` bodies arrived (fails after `limit`), then that no more come for a while.
    pub async fn expect(&self, n: usize, limit: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        while self.got().len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} alerts within {limit:?}, got {:#?}",
                self.got()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The notifier polls every 2 s: give a duplicate the time to show up.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let got = self.got();
        assert_eq!(got.len(), n, "exactly {n} alerts: {got:#?}");
        got
    }
}

/// A site whose answer the test switches between 200 and 503.
async fn switch() -> (Arc<AtomicBool>, u16) {
    let up = Arc::new(AtomicBool::new(true));
    let router = Router::new()
        .route(
            "/",
            get(|State(up): State<Arc<AtomicBool>>| async move {
                if up.load(Ordering::SeqCst) {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }),
        )
        .with_state(up.clone());
    (up, spawn_http(router).await.port())
}

/// Alerts of every severity to `webhook:hook` (and the log), R = 1, a 1 s recheck delay.
pub fn alerting_config(db_url: &str, hook: u16, site: u16) -> String {
    let general = format!(
        r#"  retry_before_notification: 1
  recheck_delay: "1s"
  public_url: "https://argos.example.org/"
  webhooks:
    hook:
      url: "http://127.0.0.1:{hook}/hook"
  alerts:
    ok: [local, "webhook:hook"]
    warning: [local, "webhook:hook"]
    critical: [local, "webhook:hook"]
    unknown: [local, "webhook:hook"]
    no_agent: ["webhook:hook"]"#
    );
    let websites = format!(
        "  - domain: \"http://127.0.0.1:{site}\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n"
    );
    config_with(db_url, &general, &websites)
}

async fn down_then_up(backend: Backend) {
    let (hook, hook_port) = Receiver::start().await;
    let (up, site) = switch().await;
    with_db(backend, |url| async move {
        let app = TestApp::spawn(&alerting_config(&url, hook_port, site), true).await;
        let agent = app.spawn_agent("alerting-agent", None);
        app.wait_all_checked(Duration::from_secs(20)).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            hook.got(),
            Vec::<Value>::new(),
            "a new task's first ok says nothing"
        );

        up.store(false, Ordering::SeqCst);
        let netloc = format!("127.0.0.1:{site}");
        app.state
            .store
            .recheck_domain(&netloc, Utc::now())
            .await
            .unwrap();
        let got = hook.expect(1, Duration::from_secs(20)).await;
        let alert = &got[0]["alerts"][0];
        assert_eq!(
            (alert["previous"].as_str(), alert["severity"].as_str()),
            (Some("ok"), Some("critical"))
        );
        assert_eq!(got[0]["version"], 1);
        let result = alert["result_url"].as_str().unwrap();
        assert!(
            result.starts_with("https://argos.example.org/result/"),
            "{result}"
        );
        // R = 1: the second failure confirmed it (one ok and two failures stored).
        let task = alert["url"].as_str().unwrap().to_owned();
        let tasks = app.tasks_of(&netloc).await;
        let id = tasks.iter().find(|t| t["url"] == task.as_str()).unwrap()["id"]
            .as_i64()
            .unwrap();
        let history = app.state.store.task_results(id, None, 10).await.unwrap();
        assert_eq!(
            history
                .iter()
                .filter(|r| r.severity.as_str() == "critical")
                .count(),
            2
        );

        up.store(true, Ordering::SeqCst);
        app.state
            .store
            .recheck_domain(&netloc, Utc::now())
            .await
            .unwrap();
        let got = hook.expect(2, Duration::from_secs(20)).await;
        let alert = &got[1]["alerts"][0];
        assert_eq!(
            (alert["previous"].as_str(), alert["severity"].as_str()),
            (Some("critical"), Some("ok"))
        );

        let api = app.get_json("/api/app/alerts").await;
        let alerts = api["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 2);
        for a in alerts {
            let statuses: Vec<(&str, &str)> = a["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["channel"].as_str().unwrap(),
                        d["status"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(statuses, [("local", "sent"), ("webhook:hook", "sent")]);
        }
        let (status, page) = app.get_html("/alerts").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("webhook:hook") && page.contains("sent"),
            "{page}"
        );
        agent.stop().await;
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_down_then_up_alerts_once_each_way_sqlite() {
    down_then_up(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_down_then_up_alerts_once_each_way_postgres() {
    down_then_up(Backend::Postgres).await;
}

async fn killed_before_sending(backend: Backend) {
    let (hook, hook_port) = Receiver::start().await;
    let (up, site) = switch().await;
    up.store(false, Ordering::SeqCst);
    with_db(backend, |url| async move {
        let yaml = alerting_config(&url, hook_port, site);
        // This process commits the alert but never sends it: it dies first.
        let first = TestApp::spawn(&yaml, false).await;
        let agent = first.spawn_agent("agent-1", None);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while first.state.store.pending_deliveries().await.unwrap() < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no alert was committed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        agent.stop().await;
        first.kill().await;
        assert_eq!(hook.got().len(), 0);

        let second = TestApp::spawn(&yaml, true).await;
        let got = hook.expect(1, Duration::from_secs(20)).await;
        assert_eq!(got[0]["alerts"][0]["severity"], "critical");
        assert_eq!(second.state.store.pending_deliveries().await.unwrap(), 0);
        second.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_committed_before_a_crash_leaves_after_restart_once_sqlite() {
    killed_before_sending(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_committed_before_a_crash_leaves_after_restart_once_postgres() {
    killed_before_sending(Backend::Postgres).await;
}

/// One round of the watch of `app`, as if its process had started at `started`.
async fn watch(app: &TestApp, started: chrono::DateTime<Utc>) -> Option<AlertKind> {
    let limit = app.state.config().recurring_tasks.time_without_agent;
    let rules = app.state.rules();
    no_agent::check(&app.state.store, &rules, started, limit, Utc::now())
        .await
        .unwrap()
}

async fn no_agent(backend: Backend) {
    let (hook, hook_port) = Receiver::start().await;
    let (_, site) = switch().await;
    with_db(backend, |url| async move {
        let yaml = alerting_config(&url, hook_port, site);
        // Two server processes on one database: the watch must fire once, not twice.
        let (a, b) = (
            TestApp::spawn(&yaml, true).await,
            TestApp::spawn(&yaml, true).await,
        );
        let ago = |m: i64| Utc::now() - chrono::Duration::minutes(m);
        for app in [&a, &b] {
            assert_eq!(watch(app, ago(0)).await, None, "nothing at start-up");
            assert_eq!(
                watch(app, ago(4)).await,
                None,
                "nothing before time_without_agent"
            );
        }
        let raised = [watch(&a, ago(6)).await, watch(&b, ago(6)).await];
        assert_eq!(
            raised,
            [Some(AlertKind::NoAgent), None],
            "once across processes"
        );
        let got = hook.expect(1, Duration::from_secs(10)).await;
        assert_eq!(got[0]["kind"], "no-agent");
        assert!(
            got[0]["title"]
                .as_str()
                .unwrap()
                .starts_with("No agent has been seen")
        );
        assert_eq!(watch(&a, ago(7)).await, None, "not every minute");

        a.state
            .store
            .touch_agent("back-agent", Utc::now())
            .await
            .unwrap();
        let raised = [watch(&b, ago(8)).await, watch(&a, ago(8)).await];
        assert_eq!(raised, [Some(AlertKind::AgentBack), None]);
        let got = hook.expect(2, Duration::from_secs(10)).await;
        assert_eq!(got[1]["kind"], "agent-back");
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_agent_alerts_once_and_recovers_once_sqlite() {
    no_agent(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_agent_alerts_once_and_recovers_once_postgres() {
    no_agent(Backend::Postgres).await;
}

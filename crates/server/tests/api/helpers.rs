//! `spawn_app` and friends: one server per test, with typed helpers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argos_agent::RunOptions;
use argos_agent::http::HttpSource;
use argos_checks::probe::{Probe, ProbeOptions};
use argos_server::app::{App, ServeOptions};
use argos_server::config::{self, LoadOptions};
use argos_server::state::AppState;
use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-agent-token";

/// Which database a test app uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server.
pub struct TestApp {
    pub base: String,
    pub state: Arc<AppState>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// The config of a test app: our usual sections around `websites` (YAML text, indented as a
/// top-level key's value).
pub fn config_yaml(db_url: &str, websites: &str) -> String {
    config_with(db_url, "", websites)
}

/// [`config_yaml`] with more `general` keys (YAML lines indented by two spaces), which may
/// replace the default `alerts`.
pub fn config_with(db_url: &str, general: &str, websites: &str) -> String {
    let alerts = if general.contains("\n  alerts:") || general.starts_with("  alerts:") {
        String::new()
    } else {
        "  alerts:\n    ok: [local]\n    warning: [local]\n    critical: [local]\n    unknown: [local]\n    no_agent: [local]\n".to_owned()
    };
    // Tests of pages and APIs read them anonymously unless they test logins themselves.
    let access = if general.contains("unauthenticated_access") {
        ""
    } else {
        "  unauthenticated_access: all\n"
    };
    format!(
        r#"general:
{general}
{alerts}{access}  db:
    url: "{db_url}"
  env: test
  cookie_secret: "a-test-secret-that-is-long-enough-0123456789"
  frequency: "1m"
  ipv6: false
service:
  secrets:
    - "{TOKEN}"
ssl:
  thresholds:
    - "1d": critical
    - "5d": warning
recurring_tasks:
  max_results_age: "1d"
  max_lock_seconds: 100
  time_without_agent: 5
websites:
{websites}"#
    )
}

/// Starts a server on `backend` with `websites`; `run` gets the app and the test body.
/// PostgreSQL apps get a fresh database, dropped afterwards (see argos_testkit::postgres).
pub async fn with_app<F, Fut>(backend: Backend, websites: &str, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    with_db(backend, |url| async move {
        test(TestApp::spawn(&config_yaml(&url, websites), true).await).await;
    })
    .await;
}

/// Runs `test` with the URL of a fresh database on `backend` (a SQLite file in a temporary
/// directory, or a PostgreSQL database dropped afterwards).
pub async fn with_db<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:///{}", dir.path().join("argos.db").display());
            test(url).await;
        }
        Backend::Postgres => argos_testkit::postgres::with_database(test).await,
    }
}

impl TestApp {
    /// A server for the config `yaml` (its own temporary directory holds the file), sending
    /// alerts when `notifier`.
    pub async fn spawn(yaml: &str, notifier: bool) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, yaml).unwrap();
        let cfg = load(&path);
        let opts = ServeOptions {
            host: "127.0.0.1".into(),
            port: 0,
            embedded_agent: false,
            strict: true,
            notifier,
        };
        let app = App::build(cfg, &opts).await.expect("building the app");
        let addr = app.local_addr().unwrap();
        let state = app.state();
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(async move {
            app.run_until(async move {
                let _ = rx.await;
            })
            .await
            .expect("serving");
        });
        TestApp {
            base: format!("http://{addr}"),
            state,
            client: reqwest::Client::new(),
            stop: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Stops the server abruptly, as a crash would: nothing in flight finishes.
    pub async fn kill(mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }
}

pub fn load(path: &Path) -> config::Config {
    match config::load(path, &LoadOptions { strict: true }) {
        Ok(cfg) => cfg,
        Err(e) => panic!("test config is invalid:\n{e}"),
    }
}

impl TestApp {
    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Every task of a netloc, through the JSON API.
    pub async fn tasks_of(&self, netloc: &str) -> Vec<Value> {
        let v = self.get_json(&format!("/api/app/domain/{netloc}")).await;
        v["tasks"].as_array().cloned().unwrap_or_default()
    }

    /// `(url, check, expected) → severity` of every task of a netloc.
    pub async fn severities_of(&self, netloc: &str) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = self
            .tasks_of(netloc)
            .await
            .iter()
            .map(|t| {
                (
                    t["url"].as_str().unwrap().to_owned(),
                    t["check"].as_str().unwrap().to_owned(),
                    t["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Waits until every task has run once: none is due or leased any more (test configs
    /// check every minute, far longer than a test). Polls; gives up after `limit`.
    pub async fn wait_all_checked(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let s = self.state.store.stats(chrono::Utc::now()).await.unwrap();
            if s.upcoming_tasks_count == 0 && s.selected_tasks_count == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "tasks still unchecked after {limit:?}: {s:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs our agent (over HTTP, trusting `ca_pem`) until `done` resolves.
    pub fn spawn_agent(&self, name: &str, ca_pem: Option<String>) -> AgentHandle {
        let source = HttpSource::new(&self.base, TOKEN, name, "argos-test-agent").unwrap();
        let mut opts = ProbeOptions {
            timeout: Duration::from_secs(5),
            ..ProbeOptions::default()
        };
        opts.extra_roots_pem.extend(ca_pem.map(String::into_bytes));
        let probe = Probe::new(opts).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let run = RunOptions {
            max_in_flight: 64,
            idle_wait: Duration::from_millis(200),
            ..RunOptions::default()
        };
        let task = tokio::spawn(argos_agent::run(
            Arc::new(source),
            Arc::new(probe),
            run,
            async move {
                let _ = rx.await;
            },
        ));
        AgentHandle {
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap();
        }
    }
}

pub struct AgentHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), argos_agent::AgentError>>>,
}

impl AgentHandle {
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
    }
}

/// A browser: keeps cookies, follows no redirect.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: app.base.clone(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for c in headers.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, HeaderMap, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        self.keep(&headers);
        (status, headers, resp.text().await.unwrap())
    }

    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        self.keep(&headers);
        (status, headers, resp.text().await.unwrap())
    }

    /// The CSRF field of the form on `path`.
    pub async fn csrf(&mut self, path: &str) -> String {
        let (_, _, html) = self.get(path).await;
        let at = html
            .find("name=\"csrf\" value=\"")
            .expect("a form with a csrf field");
        html[at + 19..].split('"').next().unwrap().to_owned()
    }

    pub async fn login(
        &mut self,
        user: &str,
        pw: &str,
        next: &str,
    ) -> (StatusCode, HeaderMap, String) {
        let csrf = self.csrf(&format!("/login?next={}", urlencode(next))).await;
        let form = [
            ("username", user),
            ("password", pw),
            ("csrf", &csrf),
            ("next", next),
        ];
        self.post("/login", &form).await
    }
}

pub fn location(h: &HeaderMap) -> &str {
    h.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// `s` as a query-string value.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

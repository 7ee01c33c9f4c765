//! What the fault tests share: the `argos` binary as a server and as agents (real processes,
//! see `argos_testkit::process`), a site whose answers the test can hold back, and a view of
//! the database to count results.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argos_testkit::process::Process;
use axum::Router;
use axum::extract::Path as UrlPath;
use axum::routing::get;
use sqlx::Row;
use tokio::sync::watch;

pub const TOKEN: &str = "fault-test-agent-token";

/// How long a server may take to migrate, sync and listen.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A free loopback port (a restarted server must come back on the same one).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// Everything a test's server is made of.
pub struct Setup<'a> {
    pub db_url: &'a str,
    /// YAML of the `websites` list (indented as a top-level key's value).
    pub websites: &'a str,
    pub max_lock_seconds: u64,
    /// How often tasks run. A task runs next on a grid point of its own, which may come
    /// at any time within one period: tests that count runs take a month.
    pub frequency: &'a str,
    /// `unauthenticated_access: all`; otherwise the JSON API needs a login.
    pub open_access: bool,
}

/// The config file of a fault test: our usual sections around `websites`.
pub fn config(s: &Setup<'_>) -> String {
    format!(
        r#"general:
  db:
    url: "{db}"
  env: test
  cookie_secret: "a-fault-test-secret-that-is-long-enough-0123"
  frequency: "{frequency}"
  ipv6: false
{access}  alerts:
    ok: [local]
    warning: [local]
    critical: [local]
    unknown: [local]
    no_agent: [local]
service:
  secrets:
    - "{TOKEN}"
ssl:
  thresholds:
    - "1d": critical
    - "5d": warning
recurring_tasks:
  max_results_age: "1d"
  max_lock_seconds: {lock}
  time_without_agent: 5
websites:
{websites}"#,
        db = s.db_url,
        frequency = s.frequency,
        lock = s.max_lock_seconds,
        websites = s.websites,
        access = if s.open_access {
            "  unauthenticated_access: all\n"
        } else {
            ""
        },
    )
}

/// One website on `port` with a `status-is: 200` check on each path.
pub fn website(port: u16, paths: &[String]) -> String {
    let mut out = format!("  - domain: \"http://127.0.0.1:{port}\"\n    paths:\n");
    for p in paths {
        out.push_str(&format!(
            "      - path: \"{p}\"\n        checks:\n          - status-is: 200\n"
        ));
    }
    out
}

/// The `argos` binary, with none of the caller's config or log settings.
pub fn argos() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_argos"));
    cmd.env_remove("ARGOS_YAML_FILE")
        .env_remove("ARGOS_LOG_LEVEL")
        .env_remove("RUST_LOG");
    cmd
}

/// `argos server start` on `port` (no embedded agent: the test's agents are the only ones).
pub struct Server {
    pub process: Process,
    pub base: String,
}

impl Server {
    /// Writes `yaml` to `<dir>/config.yaml` and starts a server on it; waits until it listens.
    pub async fn start(dir: &Path, yaml: &str, port: u16) -> Server {
        let config = dir.join("config.yaml");
        std::fs::write(&config, yaml).unwrap();
        Server::start_with(dir, &config, port).await
    }

    /// Starts (or restarts) a server on `config`.
    pub async fn start_with(dir: &Path, config: &Path, port: u16) -> Server {
        let mut cmd = argos();
        cmd.args([
            "server",
            "start",
            "--no-embedded-agent",
            "--host",
            "127.0.0.1",
        ])
        .arg("--port")
        .arg(port.to_string())
        .arg("--config")
        .arg(config)
        .current_dir(dir);
        let mut process = Process::spawn("server", cmd, dir);
        process
            .wait_for_log("argos server listening", START_LIMIT)
            .await;
        Server {
            process,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// `argos agent URL TOKEN --name NAME`, leasing again every second when idle.
pub fn agent(dir: &Path, server: &Server, name: &str, max_tasks: usize) -> Process {
    Process::spawn(name, agent_command(dir, server, name, max_tasks), dir)
}

/// The command [`agent`] runs, for a test that adds options to it.
pub fn agent_command(dir: &Path, server: &Server, name: &str, max_tasks: usize) -> Command {
    let mut cmd = argos();
    cmd.args([
        "agent",
        &server.base,
        TOKEN,
        "--name",
        name,
        "--wait-time",
        "1",
    ])
    .arg("--max-tasks")
    .arg(max_tasks.to_string())
    .current_dir(dir);
    cmd
}

/// A site that records when each path was asked for, and holds the answers to paths under
/// `/held/` while its gate is closed.
#[derive(Clone)]
pub struct Site {
    hits: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    gate: Arc<watch::Sender<bool>>,
    delay: Duration,
}

impl Site {
    /// A site whose gate starts closed; every answer takes `delay` at least.
    pub fn new(delay: Duration) -> Site {
        Site {
            hits: Arc::default(),
            gate: Arc::new(watch::channel(false).0),
            delay,
        }
    }

    /// Serves it on a loopback port.
    pub async fn spawn(&self) -> u16 {
        let site = self.clone();
        let router = Router::new().route(
            "/{kind}/{n}",
            get(move |UrlPath((kind, n)): UrlPath<(String, String)>| {
                let site = site.clone();
                async move { site.answer(&kind, &n).await }
            }),
        );
        argos_testkit::spawn_http(router).await.port()
    }

    async fn answer(&self, kind: &str, n: &str) -> &'static str {
        self.hits
            .lock()
            .unwrap()
            .entry(format!("/{kind}/{n}"))
            .or_default()
            .push(Instant::now());
        tokio::time::sleep(self.delay).await;
        if kind == "held" {
            let _ = self.gate.subscribe().wait_for(|open| *open).await;
        }
        "ok"
    }

    /// Lets held answers (and every later one) through.
    pub fn open(&self) {
        self.gate.send_replace(true);
    }

    /// When each path was asked for.
    pub fn hits(&self) -> HashMap<String, Vec<Instant>> {
        self.hits.lock().unwrap().clone()
    }

    /// Requests received in all.
    pub fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().map(Vec::len).sum()
    }

    /// Waits until `count` requests have arrived.
    pub async fn wait_hits(&self, count: usize, limit: Duration) {
        wait_until(limit, &format!("{count} requests on the site"), || async {
            self.total_hits() >= count
        })
        .await;
    }
}

/// Polls `ready` every 100 ms; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !ready().await {
        assert!(Instant::now() < deadline, "no {what} after {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The test's own view of the server's database (SQLite file or PostgreSQL).
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

/// A stored result: its id, its task's URL and the agent that sent it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub url: String,
    pub agent: String,
}

impl Db {
    pub async fn connect(url: &str) -> Db {
        if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .expect("connecting to the test database");
            Db::Pg(pool)
        } else {
            let path = url.trim_start_matches("sqlite:///");
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(format!("/{}", path.trim_start_matches('/')))
                .busy_timeout(Duration::from_secs(10));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
                .expect("opening the test database");
            Db::Sqlite(pool)
        }
    }

    /// Every stored result with its task's URL.
    pub async fn results(&self) -> Vec<Stored> {
        const SQL: &str = "SELECT r.id, t.url, r.agent_id FROM argos_results r \
                           JOIN argos_tasks t ON t.id = r.task_id ORDER BY r.id";
        let rows = match self {
            Db::Sqlite(pool) => sqlx::query(SQL)
                .fetch_all(pool)
                .await
                .map(|rows| rows.iter().map(stored_sqlite).collect()),
            Db::Pg(pool) => sqlx::query(SQL)
                .fetch_all(pool)
                .await
                .map(|rows| rows.iter().map(stored_pg).collect()),
        };
        rows.expect("reading the results")
    }

    /// `url → agent` of every task under a lease now.
    pub async fn leases(&self) -> HashMap<String, String> {
        const SQL: &str = "SELECT t.url, r.leased_by FROM argos_tasks t \
                           JOIN argos_task_runs r ON r.task_id = t.id WHERE r.leased_by IS NOT NULL";
        let pairs: Vec<(String, String)> = match self {
            Db::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
            Db::Pg(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
        }
        .expect("reading the leases");
        pairs.into_iter().collect()
    }

    /// How many of `ids` are stored results.
    pub async fn existing(&self, ids: &[i64]) -> usize {
        let all: std::collections::HashSet<i64> =
            self.results().await.into_iter().map(|r| r.id).collect();
        ids.iter().filter(|id| all.contains(id)).count()
    }

    pub async fn close(self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Pg(pool) => pool.close().await,
        }
    }
}

fn stored_sqlite(r: &sqlx::sqlite::SqliteRow) -> Stored {
    Stored {
        id: r.get(0),
        url: r.get(1),
        agent: r.get(2),
    }
}

fn stored_pg(r: &sqlx::postgres::PgRow) -> Stored {
    Stored {
        id: r.get(0),
        url: r.get(1),
        agent: r.get(2),
    }
}

/// Results per task URL; panics, listing them, when a task has more than one.
pub fn one_per_task(results: &[Stored]) -> HashMap<String, Stored> {
    let mut by_url: HashMap<String, Vec<&Stored>> = HashMap::new();
    for r in results {
        by_url.entry(r.url.clone()).or_default().push(r);
    }
    let twice: Vec<_> = by_url.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(twice.is_empty(), "results stored twice: {twice:#?}");
    by_url
        .into_iter()
        .map(|(url, v)| (url, v[0].clone()))
        .collect()
}

/// A SQLite database URL in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:///{}", dir.join("argos.db").display())
}

/// The path of the SQLite file of [`sqlite_url`].
pub fn sqlite_file(dir: &Path) -> PathBuf {
    dir.join("argos.db")
}

/// `GET path` on the server; the status and the body (`None` when the server did not answer).
pub async fn http_get(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
) -> Option<(u16, String)> {
    let resp = client
        .get(format!("{}{path}", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    Some((status, resp.text().await.unwrap_or_default()))
}

//! PostgreSQL stopped for 15 s and started again while a server is under load (a real agent
//! and the test's own load of leases, results and reads): the server answers 503 meanwhile
//! (never another 5xx, never a crash), reconnects by itself, every result id it returned to
//! an agent exists afterwards, and the agent carries on.
//!
//! This stops the PostgreSQL every other test uses: it runs only in the sequential fault
//! step of `.ci/run`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::watch;

use crate::support::{
    Db, Server, Setup, Site, TOKEN, agent, config, free_port, wait_until, website,
};

const TASKS: usize = 2000;
/// Longer than the pool's wait for a connection (10 s), so that requests give up.
const DOWN_FOR: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test that stops the shared PostgreSQL: run by .ci/run with --ignored"]
async fn the_server_rides_out_a_postgresql_restart_and_loses_no_acknowledged_result() {
    let Some(cluster) = Cluster::local() else {
        return;
    };
    let database = FreshDatabase::create().await;
    let outcome = tokio::spawn(scenario(cluster, database.url.clone())).await;
    database.drop().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn scenario(cluster: Cluster, db_url: String) {
    // Arrange: a slow site (the agent keeps busy), 2000 tasks checked every minute.
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(Duration::from_millis(200));
    let port = site.spawn().await;
    let paths: Vec<String> = (0..TASKS).map(|i| format!("/slow/{i}")).collect();
    let setup = Setup {
        db_url: &db_url,
        websites: &website(port, &paths),
        max_lock_seconds: 61,
        frequency: "1m",
        open_access: true,
    };
    let mut server = Server::start(dir.path(), &config(&setup), free_port()).await;
    let mut real = agent(dir.path(), &server, "real", 2);
    let load = Load::start(&server.base);
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Act: PostgreSQL goes away under load, and comes back.
    let guard = cluster.stop();
    tokio::time::sleep(DOWN_FOR).await;
    drop(guard);
    let started = Instant::now();
    let client = reqwest::Client::new();
    wait_until(Duration::from_secs(60), "healthz 200 again", || async {
        let resp = client.get(format!("{}/healthz", server.base)).send().await;
        resp.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let recovered = started.elapsed();
    let db = Db::connect(&db_url).await;
    let by_real =
        |results: &[crate::support::Stored]| results.iter().filter(|r| r.agent == "real").count();
    let before = by_real(&db.results().await);
    wait_until(
        Duration::from_secs(60),
        "new results from the agent",
        || async { by_real(&db.results().await) > before },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tally = load.stop().await;

    // Assert: 503 while it was down, nothing worse; nothing acknowledged is missing.
    eprintln!(
        "down {DOWN_FOR:?}, healthy again {recovered:?} after the start; answers: {:?}",
        tally.statuses
    );
    let worse: Vec<_> = tally
        .statuses
        .iter()
        .filter(|((_, s), _)| *s == 0 || (*s >= 500 && *s != 503))
        .collect();
    assert!(
        worse.is_empty(),
        "no answer, or a 5xx other than 503: {worse:?}"
    );
    assert!(
        tally.statuses.keys().any(|(_, s)| *s == 503),
        "no 503 while the database was down: {:?}",
        tally.statuses
    );
    assert!(
        tally.acked_after_outage > 0,
        "no result acknowledged after the outage"
    );
    let acked = tally.acked.len();
    assert!(acked > 0);
    assert_eq!(
        db.existing(&tally.acked).await,
        acked,
        "acknowledged results lost"
    );
    assert!(server.process.is_running(), "the server died");
    assert!(real.is_running(), "the agent died");
    let log = server.process.log();
    assert!(log.contains("the database is unavailable"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    db.close().await;
}

/// The local cluster (Debian's `pg_ctlcluster`); `None` (the test is skipped) outside CI
/// when there is none.
struct Cluster {
    version: String,
}

impl Cluster {
    fn local() -> Option<Cluster> {
        let version = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned());
        match version {
            Some(version) => Some(Cluster { version }),
            None if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("CI=true but there is no local PostgreSQL cluster to restart")
            }
            None => {
                eprintln!("no local PostgreSQL cluster (pg_ctlcluster): skipping");
                None
            }
        }
    }

    /// `pg_ctlcluster <version> main <action>`; whether it succeeded.
    fn run(&self, action: &str) -> bool {
        Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.version, "main", action])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Stops the cluster; it starts again when the guard drops, also if the test panics.
    fn stop(&self) -> Stopped<'_> {
        assert!(self.run("stop"), "pg_ctlcluster stop failed");
        Stopped(self)
    }
}

struct Stopped<'a>(&'a Cluster);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        // No panic here: this runs while a failed test unwinds too.
        if !self.0.run("start") {
            eprintln!("pg_ctlcluster start failed: PostgreSQL may still be down");
        }
        for _ in 0..60 {
            let ready = Command::new("pg_isready")
                .args(["-h", "127.0.0.1", "-q"])
                .status();
            if ready.is_ok_and(|s| s.success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// A database of its own, dropped afterwards with a new admin connection (the one it was
/// created with does not survive the restart).
struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create() -> FreshDatabase {
        let admin_url = argos_testkit::postgres::database_url()
            .expect("DATABASE_URL: the fault tests run in CI");
        let name = format!("argos_fault_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        FreshDatabase {
            admin_url,
            name,
            url: url.to_string(),
        }
    }

    async fn drop(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// What the test's own load saw.
#[derive(Debug, Default)]
struct Tally {
    /// `(endpoint, status) → count`; status 0: no answer.
    statuses: BTreeMap<(&'static str, u16), usize>,
    /// Result ids the server returned.
    acked: Vec<i64>,
    /// Whether a request failed yet (503 or no answer: the database was down).
    outage_seen: bool,
    /// Results acknowledged after that.
    acked_after_outage: usize,
}

/// Clients sending the test's load at once.
const CLIENTS: usize = 4;

/// A load of leases, results and reads from a few clients, until stopped.
struct Load {
    stop: watch::Sender<bool>,
    tally: Arc<Mutex<Tally>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(base: &str) -> Load {
        let (stop, stopped) = watch::channel(false);
        let tally = Arc::new(Mutex::new(Tally::default()));
        let tasks = (0..CLIENTS)
            .map(|i| {
                let client = Client {
                    base: base.to_owned(),
                    agent: format!("load-{i}"),
                    tally: tally.clone(),
                };
                tokio::spawn(client.run(stopped.clone()))
            })
            .collect();
        Load { stop, tally, tasks }
    }

    async fn stop(self) -> Tally {
        self.stop.send_replace(true);
        for task in self.tasks {
            task.await.unwrap();
        }
        std::mem::take(&mut *self.tally.lock().unwrap())
    }
}

/// One client of the load: reads, leases, and posts a result for each task leased.
struct Client {
    base: String,
    agent: String,
    tally: Arc<Mutex<Tally>>,
}

impl Client {
    async fn run(self, stop: watch::Receiver<bool>) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        while !*stop.borrow() {
            for read in ["/healthz", "/api/severities", "/api/app/"] {
                let (status, _) = send(http.get(format!("{}{read}", self.base))).await;
                self.note(read, status);
            }
            let lease = http
                .get(format!("{}/api/tasks", self.base))
                .query(&[("limit", "5"), ("agent_id", &self.agent)])
                .bearer_auth(TOKEN);
            let (status, tasks) = send(lease).await;
            self.note("/api/tasks", status);
            let results = results_for(&tasks);
            if !results.is_empty() {
                let post = http
                    .post(format!("{}/api/results", self.base))
                    .query(&[("agent_id", &self.agent)])
                    .bearer_auth(TOKEN)
                    .json(&results);
                let (status, body) = send(post).await;
                self.note("/api/results", status);
                self.acked(&body);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn note(&self, endpoint: &'static str, status: u16) {
        let mut t = self.tally.lock().unwrap();
        *t.statuses.entry((endpoint, status)).or_default() += 1;
        t.outage_seen |= status == 503 || status == 0;
    }

    fn acked(&self, body: &Value) {
        let ids: Vec<i64> = body["result_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let mut t = self.tally.lock().unwrap();
        if t.outage_seen {
            t.acked_after_outage += ids.len();
        }
        t.acked.extend(ids);
    }
}

/// A `success` for each leased task, echoing its lease.
fn results_for(tasks: &Value) -> Vec<Value> {
    let Some(tasks) = tasks.as_array() else {
        return Vec::new();
    };
    tasks
        .iter()
        .map(|t| {
            json!({"task_id": t["id"], "lease_id": t["lease_id"],
                   "status": "success", "context": {}})
        })
        .collect()
}

/// Sends a request: its status (0 when there was no answer) and its JSON body (or null).
async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    match request.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

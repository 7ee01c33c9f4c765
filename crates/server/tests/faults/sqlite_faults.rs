//! SQLite that cannot be written: locked by another process for longer than the busy timeout
//! (5 s), and its disk full. Either way the server says so (in its log, and a 503 whose
//! detail names the cause), keeps serving, and picks up by itself once the lock is released
//! or space is freed; the agent's results all land, once each.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use argos_testkit::process::Process;
use argos_testkit::tmpfs::Tmpfs;

use crate::support::{
    Db, Server, Setup, Site, agent, config, free_port, http_get, one_per_task, sqlite_file,
    sqlite_url, wait_until, website,
};

const PATHS: usize = 10;

/// Holds `BEGIN EXCLUSIVE` on the database in argv[1] until the file argv[2] exists.
const LOCKER: &str = r#"
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
db.execute("COMMIT")
print("released", flush=True)
"#;

fn websites(port: u16) -> String {
    let paths: Vec<String> = (0..PATHS).map(|i| format!("/fast/{i}")).collect();
    website(port, &paths)
}

/// The server on `db_url`, its config and log in `dir`.
async fn server(dir: &Path, db_url: &str, port: u16) -> Server {
    let setup = Setup {
        db_url,
        websites: &websites(port),
        max_lock_seconds: 61,
        frequency: "30d",
        open_access: true,
    };
    Server::start(dir, &config(&setup), free_port()).await
}

/// Asks for tasks until the answer is a 503; returns its detail.
async fn until_unavailable(server: &Server) -> String {
    let client = reqwest::Client::new();
    let mut last = None;
    for _ in 0..20 {
        let answer = http_get(&client, server, "/api/tasks?agent_id=probe").await;
        if let Some((503, body)) = &answer {
            let v: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
            return v["detail"].as_str().unwrap_or_default().to_owned();
        }
        last = answer;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("no 503 while the database could not be written; last answer: {last:?}");
}

/// Waits for one result per task, then checks there are no more.
async fn every_task_once(db: &Db) {
    wait_until(
        Duration::from_secs(60),
        "a result for every task",
        || async { db.results().await.len() >= PATHS },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(one_per_task(&db.results().await).len(), PATHS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run by .ci/run with --ignored"]
async fn a_locked_sqlite_database_is_a_503_until_the_lock_is_released() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let port = Site::new(Duration::ZERO).spawn().await;
    let db_url = sqlite_url(dir.path());
    let mut server = server(dir.path(), &db_url, port).await;
    let release = dir.path().join("release");
    let mut locker = Command::new("python3");
    locker
        .args(["-c", LOCKER])
        .arg(sqlite_file(dir.path()))
        .arg(&release);
    let mut locker = Process::spawn("locker", locker, dir.path());
    locker.wait_for_log("locked", Duration::from_secs(10)).await;

    // Act: an agent starts while the lock is held, longer than the busy timeout.
    let detail = until_unavailable(&server).await;
    let mut worker = agent(dir.path(), &server, "worker", 10);
    worker
        .wait_for_log("cannot lease tasks", Duration::from_secs(30))
        .await;
    std::fs::write(&release, "").unwrap();
    locker
        .wait_for_log("released", Duration::from_secs(10))
        .await;

    // Assert: the cause was said; everything lands after the release.
    assert_eq!(
        detail,
        "The database is unavailable (locked by another process); try again later"
    );
    let log = server.process.log();
    assert!(
        log.contains("the database is unavailable (locked by another process)"),
        "{log}"
    );
    let db = Db::connect(&db_url).await;
    every_task_once(&db).await;
    assert!(server.process.is_running() && worker.is_running());
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test that mounts a tmpfs (root): run by .ci/run with --ignored"]
async fn a_full_disk_is_a_503_until_space_is_freed() {
    // Arrange: the database alone on a small file system; config and logs elsewhere.
    let disk = match Tmpfs::mount(16 * 1024 * 1024) {
        Ok(disk) => disk,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("cannot mount a tmpfs ({e}): skipping");
            return;
        }
        Err(e) => panic!("cannot mount a tmpfs in CI: {e}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let port = Site::new(Duration::ZERO).spawn().await;
    let db_url = sqlite_url(disk.path());
    let mut server = server(dir.path(), &db_url, port).await;

    // Act: the disk fills up, an agent starts, then space is freed.
    let filled = disk.fill("filler");
    assert!(filled > 0);
    let detail = until_unavailable(&server).await;
    let mut worker = agent(dir.path(), &server, "worker", 10);
    worker
        .wait_for_log("cannot lease tasks", Duration::from_secs(30))
        .await;
    std::fs::remove_file(disk.path().join("filler")).unwrap();

    // Assert
    assert_eq!(
        detail,
        "The database is unavailable (disk full); try again later"
    );
    let log = server.process.log();
    assert!(
        log.contains("the database is unavailable (disk full)"),
        "{log}"
    );
    let db = Db::connect(&db_url).await;
    every_task_once(&db).await;
    assert!(server.process.is_running() && worker.is_running());
    db.close().await;
    drop(server);
}

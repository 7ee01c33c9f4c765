//! An agent killed with SIGKILL in the middle of its checks: what it had reported stays, what
//! it held runs again once its lease expires (`recurring_tasks.max_lock_seconds`, 61 s, the
//! least accepted), and no task gets two results.

use std::time::Duration;

use crate::support::{
    Db, Server, Setup, Site, agent, config, free_port, one_per_task, sqlite_url, wait_until,
    website,
};

const FAST: usize = 10;
const HELD: usize = 10;
const LOCK_SECONDS: u64 = 61;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test, over a minute: run by .ci/run with --ignored"]
async fn a_killed_agents_tasks_run_again_after_their_lease_once_each() {
    // Arrange: ten paths that answer at once, ten whose answers are held back, checked
    // every 30 days (each task runs once unless its lease expires: with an hour, the
    // schedule's grid may bring a task back within the test).
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(Duration::ZERO);
    let port = site.spawn().await;
    let paths: Vec<String> = (0..FAST)
        .map(|i| format!("/fast/{i}"))
        .chain((0..HELD).map(|i| format!("/held/{i}")))
        .collect();
    let db_url = sqlite_url(dir.path());
    let setup = Setup {
        db_url: &db_url,
        websites: &website(port, &paths),
        max_lock_seconds: LOCK_SECONDS,
        frequency: "30d",
        open_access: true,
    };
    let server = Server::start(dir.path(), &config(&setup), free_port()).await;
    let db = Db::connect(&db_url).await;

    // Act: the first agent reports the fast ones, and is killed while it waits on the others.
    let mut first = agent(dir.path(), &server, "doomed", 50);
    site.wait_hits(FAST + HELD, Duration::from_secs(30)).await;
    wait_until(
        Duration::from_secs(30),
        "results of the fast paths",
        || async { db.results().await.len() >= FAST },
    )
    .await;
    first.kill();
    let held_leases = db.leases().await;
    assert_eq!(held_leases.len(), HELD, "{held_leases:?}");
    assert!(held_leases.values().all(|a| a == "doomed"));
    site.open();
    let _second = agent(dir.path(), &server, "survivor", 50);
    let limit = Duration::from_secs(LOCK_SECONDS + 40);
    wait_until(limit, "results for every task", || async {
        db.results().await.len() >= FAST + HELD
    })
    .await;
    // Anything that would arrive twice has had time to.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Assert: one result per task; the survivor ran exactly what the doomed agent held, and
    // only after its lease ran out.
    let results = db.results().await;
    let by_url = one_per_task(&results);
    assert_eq!(by_url.len(), FAST + HELD);
    for (url, r) in &by_url {
        let want = if url.contains("/held/") {
            "survivor"
        } else {
            "doomed"
        };
        assert_eq!(r.agent, want, "{url}");
    }
    let hits = site.hits();
    for (path, times) in &hits {
        if path.starts_with("/held/") {
            assert_eq!(times.len(), 2, "{path}: run by both agents");
            let gap = times[1] - times[0];
            assert!(
                gap >= Duration::from_secs(LOCK_SECONDS - 2),
                "{path} ran again after {gap:?}, before its lease expired"
            );
        } else {
            assert_eq!(times.len(), 1, "{path}");
        }
    }
    db.close().await;
}

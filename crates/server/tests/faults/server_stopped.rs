//! The server frozen (SIGSTOP) for two minutes while agents finish their checks: the agents
//! keep their results, retry (their posts hang, time out, back off), and deliver everything
//! once the server runs again; nothing is lost, nothing is stored twice, nothing runs twice.
//!
//! The leases (`max_lock_seconds: 300`) outlive the stop on purpose: then every result must
//! land, and the site must see each path exactly once. Posts the frozen server had received
//! before it stopped are answered after it resumes, to agents that gave up on them and post
//! the same batch again: the second copy must be ignored.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::{
    Db, Server, Setup, Site, agent, config, free_port, one_per_task, sqlite_url, wait_until,
    website,
};

const PATHS: usize = 30;
const STOPPED_FOR: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test, about three minutes: run by .ci/run with --ignored"]
async fn agents_keep_their_results_while_the_server_is_stopped_and_deliver_them_once() {
    // Arrange: two agents hold every task, their answers held back by the site.
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(Duration::ZERO);
    let port = site.spawn().await;
    let paths: Vec<String> = (0..PATHS).map(|i| format!("/held/{i}")).collect();
    let db_url = sqlite_url(dir.path());
    let setup = Setup {
        db_url: &db_url,
        websites: &website(port, &paths),
        max_lock_seconds: 300,
        frequency: "30d",
        open_access: true,
    };
    let server = Server::start(dir.path(), &config(&setup), free_port()).await;
    let db = Db::connect(&db_url).await;
    let mut agents = [
        agent(dir.path(), &server, "one", 20),
        agent(dir.path(), &server, "two", 20),
    ];
    site.wait_hits(PATHS, Duration::from_secs(30)).await;
    let leases: HashMap<String, String> = db.leases().await;
    assert_eq!(leases.len(), PATHS, "{leases:?}");

    // Act: freeze the server, let the checks finish, wait two minutes, thaw it.
    server.process.signal("STOP");
    site.open();
    tokio::time::sleep(STOPPED_FOR).await;
    for a in &mut agents {
        assert!(a.is_running(), "an agent died while the server was stopped");
    }
    assert_eq!(db.results().await.len(), 0, "the server was stopped");
    server.process.signal("CONT");
    wait_until(
        Duration::from_secs(150),
        "every result delivered",
        || async { db.results().await.len() >= PATHS },
    )
    .await;
    // Batches posted again after a lost answer have had time to arrive.
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Assert: each task has one result, from the agent that leased it; none ran twice.
    let results = db.results().await;
    let by_url = one_per_task(&results);
    assert_eq!(by_url.len(), PATHS);
    for (url, r) in &by_url {
        assert_eq!(Some(&r.agent), leases.get(url), "{url}");
    }
    assert_eq!(
        site.total_hits(),
        PATHS,
        "a check ran twice: {:?}",
        site.hits()
    );
    let kept = agents
        .iter()
        .filter(|a| a.log().contains("keeping them to try again"))
        .count();
    assert!(kept > 0, "no agent said it kept its results");
    for a in &mut agents {
        assert!(a.is_running());
    }
    db.close().await;
}

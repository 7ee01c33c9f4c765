//! What the agents page reads: each agent's version and its results per hour.

use argos_checks::Severity;
use argos_server::store::Store;

use crate::harness::{at, finished, lease_all, spec};

contract!(agents_have_a_version_and_count_their_results_per_hour);

async fn agents_have_a_version_and_count_their_results_per_hour(store: Store) {
    // at(0) is 2026-01-01T00:00:00Z, the start of an hour.
    store
        .touch_agent_version("a", Some("argos-agent/1.2"), at(0))
        .await
        .unwrap();
    store.touch_agent("a", at(1)).await.unwrap();
    let specs: Vec<_> = (0..4)
        .map(|i| spec(&format!("https://s{i}.example/"), "status-is"))
        .collect();
    store.sync_tasks(&specs, at(0)).await.unwrap();
    let run = |t: i64, n: usize| {
        let store = store.clone();
        async move {
            let leased = lease_all(&store, "a", at(t)).await;
            let results: Vec<_> = leased
                .iter()
                .take(n)
                .map(|l| finished(l.id, Severity::Ok))
                .collect();
            store.ingest("a", &results, at(t)).await.unwrap();
        }
    };
    run(600, 3).await; // 00:10, this hour
    let agent = &store.agents().await.unwrap()[0];
    assert_eq!(
        agent.version.as_deref(),
        Some("argos-agent/1.2"),
        "kept when not given again"
    );
    assert_eq!((agent.results_in_hour, agent.results_prev_hour), (3, 0));
    assert_eq!(agent.results_last_hour(at(1200)), 3);
    run(4200, 4).await; // 01:10: the hour rolled over
    let agent = &store.agents().await.unwrap()[0];
    assert_eq!((agent.results_in_hour, agent.results_prev_hour), (4, 3));
    // At 01:30, half of the previous hour is still within the last hour: 4 + 1.5 → 6.
    assert_eq!(agent.results_last_hour(at(5400)), 6);
    assert_eq!(
        agent.results_last_hour(at(4 * 3600)),
        0,
        "nothing for two hours"
    );
    assert_eq!(agent.last_result, Some(at(4200)));
}

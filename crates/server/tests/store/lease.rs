//! Leasing: only due groups, whole groups, live leases respected, expired ones re-handed,
//! the limit counts groups, and concurrent agents never share a task.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use argos_checks::{IpVersion, Method, Severity};
use argos_server::store::Store;

use crate::harness::{LEASE, at, finished, id_of, lease_all, spec, v6};

contract!(
    lease_hands_out_only_due_tasks,
    lease_hands_out_whole_groups,
    lease_respects_live_leases_and_rehands_expired_ones,
    lease_limit_counts_groups_earliest_first,
    lease_fills_the_wire_task,
    lease_carries_request_options_only_when_set,
    concurrent_agents_never_share_a_task,
    concurrent_agents_never_split_a_group,
    a_task_added_to_a_leased_group_waits_for_the_group,
);

async fn lease_hands_out_only_due_tasks(store: Store) {
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(10))
        .await
        .unwrap();
    assert!(
        lease_all(&store, "a", at(9)).await.is_empty(),
        "a task synced at 10 s is not due at 9 s"
    );
    let leased = lease_all(&store, "a", at(10)).await;
    assert_eq!(leased.len(), 1);
    store
        .ingest("a", &[finished(leased[0].id, Severity::Ok)], at(11))
        .await
        .unwrap();
    let next_run = store.task(leased[0].id).await.unwrap().next_run;
    assert!(
        lease_all(&store, "a", next_run - chrono::Duration::milliseconds(1))
            .await
            .is_empty()
    );
    assert_eq!(
        lease_all(&store, "a", next_run).await.len(),
        1,
        "due again at next_run"
    );
}

async fn lease_hands_out_whole_groups(store: Store) {
    let url = "https://group.example/";
    let (x, y) = (spec(url, "status-is"), spec(url, "body-contains"));
    store
        .sync_tasks(
            &[x, y.clone(), spec("https://other.example/", "status-is")],
            at(0),
        )
        .await
        .unwrap();
    let leased = store
        .lease("a", 10, Duration::from_millis(1), at(0))
        .await
        .unwrap();
    assert_eq!(leased.len(), 3);
    assert_eq!(
        leased
            .iter()
            .filter(|t| t.url == url)
            .map(|t| &t.task_group)
            .collect::<HashSet<_>>()
            .len(),
        1
    );
    // y gets a result (its next run moves on); x's lease expires with x still due.
    let y_id = id_of(&store, "group.example", url, &y.check).await;
    store
        .ingest(
            "a",
            &[finished(y_id, Severity::Ok)],
            at(0) + chrono::Duration::milliseconds(2),
        )
        .await
        .unwrap();
    let t = store.task(y_id).await.unwrap().next_run - chrono::Duration::milliseconds(1);

    let leased = lease_all(&store, "b", t).await;
    let mut got: Vec<_> = leased
        .iter()
        .filter(|l| l.url == url)
        .map(|l| l.check.as_str())
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        ["body-contains", "status-is"],
        "y, not due, comes along with its due group mate x"
    );
}

async fn lease_respects_live_leases_and_rehands_expired_ones(store: Store) {
    store
        .sync_tasks(
            &[
                spec("https://a.example/", "status-is"),
                spec("https://b.example/", "status-is"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let first = store.lease("a", 10, LEASE, at(0)).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        store
            .lease("b", 10, LEASE, at(30))
            .await
            .unwrap()
            .is_empty(),
        "live leases are respected"
    );
    assert!(
        store
            .lease("b", 10, LEASE, at(60))
            .await
            .unwrap()
            .is_empty(),
        "a lease lives until its end"
    );
    let again = store.lease("b", 10, LEASE, at(61)).await.unwrap();
    assert_eq!(
        again.iter().map(|t| t.id).collect::<HashSet<_>>(),
        first.iter().map(|t| t.id).collect()
    );
    assert!(again.iter().all(|t| t.selected_by.as_deref() == Some("b")));
    assert_eq!(
        store.task(first[0].id).await.unwrap().leased_by.as_deref(),
        Some("b")
    );
}

async fn lease_limit_counts_groups_earliest_first(store: Store) {
    let group = |host: &str| {
        ["status-is", "body-contains", "headers-contain"]
            .map(|c| spec(&format!("https://{host}/"), c))
    };
    let (g1, g2, g3) = (
        group("g1.example"),
        group("g2.example"),
        group("g3.example"),
    );
    store.sync_tasks(&g3, at(0)).await.unwrap(); // g3 is due first
    store
        .sync_tasks(&[g1, g2, g3].concat(), at(5))
        .await
        .unwrap();

    let first = store.lease("a", 2, LEASE, at(10)).await.unwrap();
    assert_eq!(first.len(), 6, "2 groups of 3 tasks");
    let ids: HashSet<_> = first.iter().map(|t| t.lease_id.clone()).collect();
    assert_eq!(ids.len(), 1, "one call, one lease: {ids:?}");
    let hosts: HashSet<_> = first.iter().map(|t| t.url.clone()).collect();
    assert_eq!(
        hosts,
        HashSet::from([
            "https://g3.example/".to_owned(),
            "https://g1.example/".to_owned()
        ])
    );
    let second = store.lease("a", 2, LEASE, at(10)).await.unwrap();
    assert_eq!(second.len(), 3);
    assert_ne!(
        second[0].lease_id, first[0].lease_id,
        "a new call, a new lease"
    );
    assert!(second.iter().all(|t| t.url == "https://g2.example/"));
    assert!(store.lease("a", 2, LEASE, at(10)).await.unwrap().is_empty());
}

async fn lease_fills_the_wire_task(store: Store) {
    let mut s = v6(spec("https://wire.example:8443/login", "status-in"));
    s.method = Method::Post;
    s.request_data = Some(r#"{"data":{"user":"x"},"json":true,"headers":null}"#.into());
    s.expected = "200,302".into();
    s.retry_before_notification = 3;
    s.add_alerts_recipients = Some(r#"["gotify"]"#.into());
    s.overwrite_alerts_recipients = Some(r#"["mail"]"#.into());
    store
        .sync_tasks(std::slice::from_ref(&s), at(0))
        .await
        .unwrap();

    let task = lease_all(&store, "agent-1", at(1))
        .await
        .pop()
        .expect("one task");
    assert_eq!(
        (task.url.as_str(), task.domain.as_str()),
        (
            "https://wire.example:8443/login",
            "https://wire.example:8443/"
        )
    );
    assert_eq!(
        (
            task.ip_version,
            task.method,
            task.check.as_str(),
            task.expected.as_str()
        ),
        (IpVersion::V6, Method::Post, "status-in", "200,302")
    );
    assert_eq!(task.request_data, s.request_data);
    assert_eq!(
        (
            &task.add_alerts_recipients,
            &task.overwrite_alerts_recipients
        ),
        (&s.add_alerts_recipients, &s.overwrite_alerts_recipients)
    );
    assert_eq!(
        (
            task.task_group.as_str(),
            task.retry_before_notification,
            task.contiguous_failures
        ),
        (s.task_group.as_str(), 3, 0)
    );
    assert_eq!(
        (task.selected_by.as_deref(), task.selected_at),
        (Some("agent-1"), Some(at(1)))
    );
    assert!(task.lease_id.as_deref().is_some_and(|id| id.len() >= 16));
    let json = serde_json::to_value(&task).unwrap();
    assert_eq!(
        (json["ip_version"].as_str(), json["method"].as_str()),
        (Some("6"), Some("POST"))
    );
}

async fn lease_carries_request_options_only_when_set(store: Store) {
    let plain = spec("https://opts.example/", "status-is");
    let mut with = spec("https://opts.example/slow", "status-is");
    with.request_options = Some(r#"{"timeout_ms":30000,"follow_redirects":3}"#.into());
    store.sync_tasks(&[plain, with], at(0)).await.unwrap();
    let mut tasks = lease_all(&store, "agent-1", at(1)).await;
    tasks.sort_by(|a, b| a.url.cmp(&b.url));
    assert_eq!(tasks[0].request_options, None);
    let options = tasks[1]
        .request_options
        .expect("the options are leased with the task");
    assert_eq!(
        (options.timeout_ms, options.follow_redirects),
        (Some(30_000), Some(3))
    );
    // A task without options is the reference's JSON: no `request_options` key at all.
    let json = serde_json::to_value(&tasks[0]).unwrap();
    assert!(json.get("request_options").is_none(), "{json}");
}

/// 500 due single-task groups, 8 agents leasing 7 groups at a time, all at once.
async fn concurrent_agents_never_share_a_task(store: Store) {
    let specs: Vec<_> = (0..500)
        .map(|i| spec(&format!("https://race-{i}.example/"), "status-is"))
        .collect();
    store.sync_tasks(&specs, at(0)).await.unwrap();

    let agents = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let agent = format!("agent-{n}");
            let mut got = Vec::new();
            loop {
                let leased = store
                    .lease(&agent, 7, Duration::from_secs(600), at(1))
                    .await
                    .expect("lease");
                assert!(leased.len() <= 7, "at most 7 single-task groups");
                if leased.is_empty() && store.waiting_count(at(1)).await.unwrap() == 0 {
                    break;
                }
                got.extend(leased.into_iter().map(|t| t.id));
                tokio::task::yield_now().await;
            }
            (agent, got)
        })
    });
    let mut owner: HashMap<i64, String> = HashMap::new();
    for handle in agents.collect::<Vec<_>>() {
        let (agent, ids) = handle.await.expect("an agent panicked");
        for id in ids {
            if let Some(previous) = owner.insert(id, agent.clone()) {
                panic!("task {id} was handed to {previous} and to {agent}");
            }
        }
    }
    assert_eq!(owner.len(), 500, "every task handed out exactly once");
    for (id, agent) in owner {
        assert_eq!(store.task(id).await.unwrap().leased_by, Some(agent));
    }
}

/// 160 due groups of 3 to 5 tasks whose ids are interleaved (as config reloads leave them),
/// 6 agents leasing 4 groups at a time, all at once: each group goes to one agent, whole.
async fn concurrent_agents_never_split_a_group(store: Store) {
    const CHECKS: [&str; 5] = [
        "status-is",
        "body-contains",
        "headers-contain",
        "status-in",
        "body-like",
    ];
    let size = |g: usize| 3 + g % 3;
    let specs: Vec<_> = CHECKS
        .iter()
        .enumerate()
        .flat_map(|(c, check)| {
            (0..160)
                .filter(move |&g| c < size(g))
                .map(move |g| spec(&format!("https://split-{g}.example/"), check))
        })
        .collect();
    store.sync_tasks(&specs, at(0)).await.unwrap();

    let agents = (0..6).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let agent = format!("agent-{n}");
            let mut got = Vec::new();
            loop {
                let leased = store
                    .lease(&agent, 4, Duration::from_secs(600), at(1))
                    .await
                    .expect("lease");
                if leased.is_empty() && store.waiting_count(at(1)).await.unwrap() == 0 {
                    break;
                }
                got.extend(leased.into_iter().map(|t| (t.task_group, t.id)));
                tokio::task::yield_now().await;
            }
            (agent, got)
        })
    });
    let mut holders: HashMap<String, HashSet<String>> = HashMap::new();
    let mut seen = HashSet::new();
    for handle in agents.collect::<Vec<_>>() {
        let (agent, leased) = handle.await.expect("an agent panicked");
        for (group, id) in leased {
            assert!(seen.insert(id), "task {id} was handed out twice");
            holders.entry(group).or_default().insert(agent.clone());
        }
    }
    assert_eq!(seen.len(), specs.len(), "every task handed out once");
    let split: Vec<_> = holders.iter().filter(|(_, a)| a.len() > 1).collect();
    assert!(split.is_empty(), "groups split between agents: {split:?}");
}

/// A task synced into a group while an agent holds the group waits for the group's lease to
/// end, rather than going alone to another agent (which would send the shared request again).
async fn a_task_added_to_a_leased_group_waits_for_the_group(store: Store) {
    let url = "https://grow.example/";
    let (x, y) = (spec(url, "status-is"), spec(url, "body-contains"));
    store
        .sync_tasks(std::slice::from_ref(&x), at(0))
        .await
        .unwrap();
    let first = lease_all(&store, "a", at(0)).await;
    assert_eq!(first.len(), 1);
    store.sync_tasks(&[x, y], at(1)).await.unwrap();
    assert!(
        lease_all(&store, "b", at(2)).await.is_empty(),
        "the new task's group is held by a"
    );
    store
        .ingest("a", &[finished(first[0].id, Severity::Ok)], at(3))
        .await
        .unwrap();
    let leased = lease_all(&store, "b", at(4)).await;
    assert_eq!(leased.len(), 2, "the whole group, once a let it go");
}

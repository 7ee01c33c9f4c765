//! Ingestion: lease ownership, task state, scheduling, duplicates; agents.

use argos_checks::{Severity, Status};
use argos_server::schedule::{self, Timing};
use argos_server::store::{Finished, Ingested, Store};

use crate::harness::{LEASE, at, finished, lease_all, spec};

contract!(
    ingest_accepts_only_the_lease_holder,
    ingest_sets_state_schedules_and_returns_previous_severity,
    ingest_uses_the_recheck_delay_after_a_failure,
    ingest_keeps_the_last_of_two_results_for_one_task,
    ingest_with_a_finalizer_sees_the_check_name,
    agents_are_touched_and_listed,
    a_late_result_of_an_earlier_lease_is_refused,
    a_result_for_another_agents_lease_is_refused,
);

async fn ingest_accepts_only_the_lease_holder(store: Store) {
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
    let leased = store.lease("a", 10, LEASE, at(0)).await.unwrap();
    let (t1, t2) = (leased[0].id, leased[1].id);

    assert!(
        store
            .ingest("b", &[finished(t1, Severity::Ok)], at(1))
            .await
            .unwrap()
            .is_empty(),
        "not b's lease"
    );
    assert!(
        store
            .ingest("a", &[finished(999_999, Severity::Ok)], at(1))
            .await
            .unwrap()
            .is_empty(),
        "unknown task"
    );
    let got = store
        .ingest(
            "a",
            &[finished(t1, Severity::Ok), finished(999_999, Severity::Ok)],
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(got.iter().map(|i| i.task_id).collect::<Vec<_>>(), [t1]);
    assert!(
        store
            .ingest("a", &[finished(t1, Severity::Ok)], at(2))
            .await
            .unwrap()
            .is_empty(),
        "lease released"
    );

    // t2's lease expires; a's late result still counts while nobody else took the task…
    let late = store
        .ingest("a", &[finished(t2, Severity::Critical)], at(120))
        .await
        .unwrap();
    assert_eq!(late.len(), 1);
    // …but not once another agent holds it.
    let next = store.task(t2).await.unwrap().next_run;
    let retaken = store.lease("b", 10, LEASE, next).await.unwrap();
    assert!(retaken.iter().any(|t| t.id == t2));
    assert!(
        store
            .ingest("a", &[finished(t2, Severity::Ok)], next)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.task(t2).await.unwrap().severity, Severity::Critical);
}

async fn ingest_sets_state_schedules_and_returns_previous_severity(store: Store) {
    let s = spec("https://a.example/", "status-is");
    store
        .sync_tasks(std::slice::from_ref(&s), at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    let first = store
        .ingest("a", &[finished(id, Severity::Ok)], at(3))
        .await
        .unwrap();
    let result_id = first[0].result_id;
    assert_eq!(
        first,
        [Ingested {
            task_id: id,
            result_id,
            previous: Severity::Unknown,
            severity: Severity::Ok,
            first: true,
            alerted: false,
        }]
    );

    let timing = Timing {
        frequency_s: 300.0,
        recheck_delay_s: None,
        already_retried: false,
        task_group: &s.task_group,
        confirming: false,
    };
    let task = store.task(id).await.unwrap();
    assert_eq!(
        task.next_run,
        schedule::next_run(&timing, Severity::Ok, at(3)).0
    );
    assert_eq!(
        (task.severity, task.last_status, task.last_result_id),
        (Severity::Ok, Some(Status::Success), Some(result_id))
    );
    assert_eq!(
        (task.last_run, task.last_elapsed_ms, task.leased_by),
        (Some(at(3)), Some(12.5), None)
    );
    let stored = store.result(result_id).await.unwrap();
    assert_eq!(
        (
            stored.task_id,
            stored.agent_id.as_deref(),
            stored.submitted_at
        ),
        (id, Some("a"), at(3))
    );
    assert_eq!(
        (stored.status, stored.severity, stored.context.clone()),
        (Status::Success, Severity::Ok, serde_json::json!({"n": id}))
    );

    // Fixed rate: a run that reports 7 s late lands exactly one period later.
    let due = task.next_run;
    lease_all(&store, "a", due).await;
    let second = store
        .ingest(
            "a",
            &[finished(id, Severity::Critical)],
            due + chrono::Duration::seconds(7),
        )
        .await
        .unwrap();
    assert_eq!(
        (second[0].previous, second[0].severity, second[0].first),
        (Severity::Ok, Severity::Critical, false)
    );
    assert_eq!(
        store.task(id).await.unwrap().next_run,
        due + chrono::Duration::seconds(300)
    );
}

async fn ingest_uses_the_recheck_delay_after_a_failure(store: Store) {
    let mut s = spec("https://a.example/", "status-is");
    s.recheck_delay_s = Some(20.0);
    store
        .sync_tasks(std::slice::from_ref(&s), at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    store
        .ingest("a", &[finished(id, Severity::Critical)], at(1))
        .await
        .unwrap();
    assert_eq!(
        store.task(id).await.unwrap().next_run,
        at(21),
        "recheck soon"
    );
    lease_all(&store, "a", at(21)).await;
    store
        .ingest("a", &[finished(id, Severity::Critical)], at(21))
        .await
        .unwrap();
    let timing = Timing {
        frequency_s: 300.0,
        recheck_delay_s: Some(20.0),
        already_retried: true,
        task_group: &s.task_group,
        confirming: false,
    };
    assert_eq!(
        store.task(id).await.unwrap().next_run,
        schedule::next_run(&timing, Severity::Critical, at(21)).0,
        "then the normal period"
    );
}

async fn ingest_keeps_the_last_of_two_results_for_one_task(store: Store) {
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    let mut last = finished(id, Severity::Critical);
    last.context = serde_json::json!({"which": "last", "nul": "a\u{0}b"});
    let got = store
        .ingest("a", &[finished(id, Severity::Ok), last], at(1))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].severity, Severity::Critical);
    let stored = store.result(got[0].result_id).await.unwrap();
    assert_eq!(stored.context["which"], "last");
    assert_eq!(store.task_results(id, None, 10).await.unwrap().len(), 1);
}

async fn ingest_with_a_finalizer_sees_the_check_name(store: Store) {
    store
        .sync_tasks(
            &[spec("https://a.example/", "ssl-certificate-expiration")],
            at(0),
        )
        .await
        .unwrap();
    let id = lease_all(&store, "a", at(0)).await[0].id;
    let posted = [argos_checks::AgentResult {
        task_id: id,
        status: Status::OnCheck,
        context: serde_json::json!({"expires_in": 3}),
        elapsed_ms: None,
        lease_id: None,
    }];
    let finalize = |check: &str, r: &argos_checks::AgentResult| {
        assert_eq!(
            (check, r.status),
            ("ssl-certificate-expiration", Status::OnCheck)
        );
        (Status::Failure, Severity::Warning)
    };
    let got = store
        .ingest_agent_results("a", &posted, &finalize, &Default::default(), at(1))
        .await
        .unwrap();
    assert_eq!(got[0].severity, Severity::Warning);
    let stored = store.result(got[0].result_id).await.unwrap();
    assert_eq!((stored.status, stored.elapsed_ms), (Status::Failure, None));
}

async fn agents_are_touched_and_listed(store: Store) {
    assert!(store.agents().await.unwrap().is_empty());
    store.touch_agent("zeta", at(0)).await.unwrap();
    store.touch_agent("alpha", at(1)).await.unwrap();
    store.touch_agent("zeta", at(2)).await.unwrap();
    let agents = store.agents().await.unwrap();
    let seen: Vec<_> = agents
        .iter()
        .map(|a| (a.name.as_str(), a.last_seen, a.last_result))
        .collect();
    assert_eq!(seen, [("alpha", at(1), None), ("zeta", at(2), None)]);

    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let id = lease_all(&store, "alpha", at(3)).await[0].id;
    store
        .ingest(
            "alpha",
            &[Finished {
                elapsed_ms: None,
                ..finished(id, Severity::Ok)
            }],
            at(4),
        )
        .await
        .unwrap();
    let alpha = store.agents().await.unwrap().remove(0);
    assert_eq!((alpha.last_seen, alpha.last_result), (at(4), Some(at(4))));
}

/// What our agent posts for `task`: its result, answering the lease the task came with.
fn answer(task: &argos_checks::Task) -> argos_checks::AgentResult {
    argos_checks::AgentResult {
        task_id: task.id,
        status: Status::Success,
        context: serde_json::json!({}),
        elapsed_ms: Some(1.0),
        lease_id: task.lease_id.clone(),
    }
}

/// Ingests `posted` from `agent` as the HTTP API does; the ids of the tasks accepted.
async fn post(
    store: &Store,
    agent: &str,
    posted: &[argos_checks::AgentResult],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<i64> {
    let ok = |_: &str, _: &argos_checks::AgentResult| (Status::Success, Severity::Ok);
    let got = store
        .ingest_agent_results(agent, posted, &ok, &Default::default(), now)
        .await
        .expect("ingest");
    got.iter().map(|i| i.task_id).collect()
}

async fn a_late_result_of_an_earlier_lease_is_refused(store: Store) {
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let first = store.lease("a", 10, LEASE, at(0)).await.unwrap().remove(0);
    // a's lease runs out and a leases the task again: a new lease, with a new id.
    let second = store.lease("a", 10, LEASE, at(61)).await.unwrap().remove(0);
    assert_eq!(first.id, second.id);
    let (old, new) = (first.lease_id.clone(), second.lease_id.clone());
    assert!(
        old.is_some() && new.is_some() && old != new,
        "{old:?} {new:?}"
    );

    assert!(
        post(&store, "a", &[answer(&first)], at(62))
            .await
            .is_empty(),
        "the result of the first run comes too late, even from the same agent"
    );
    assert_eq!(
        post(&store, "a", &[answer(&second)], at(63)).await,
        [second.id]
    );
    assert!(
        post(&store, "a", &[answer(&second)], at(64))
            .await
            .is_empty(),
        "a lease answers once"
    );
    assert_eq!(store.task(second.id).await.unwrap().leased_by, None);
}

async fn a_result_for_another_agents_lease_is_refused(store: Store) {
    store
        .sync_tasks(&[spec("https://a.example/", "status-is")], at(0))
        .await
        .unwrap();
    let task = store.lease("a", 10, LEASE, at(0)).await.unwrap().remove(0);
    let mut anonymous = answer(&task);
    anonymous.lease_id = None;
    assert!(
        post(&store, "b", &[answer(&task)], at(1)).await.is_empty(),
        "b quotes a's lease id, but the task is a's"
    );
    assert!(
        post(&store, "b", &[anonymous.clone()], at(1))
            .await
            .is_empty()
    );
    let mut forged = answer(&task);
    forged.lease_id = Some("made-up".into());
    assert!(post(&store, "a", &[forged], at(1)).await.is_empty());
    // The Python agent names no lease: the holder's result counts, as before.
    assert_eq!(post(&store, "a", &[anonymous], at(2)).await, [task.id]);
}

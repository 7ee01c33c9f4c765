//! A lease moves its tasks out of the due range (issue 8): a poll's scan never walks past
//! tasks out with agents, and an expired lease makes its task due again by itself.

use argos_checks::Severity;
use argos_server::store::Store;

use crate::harness::{LEASE, at, finished, spec};

contract!(a_lease_moves_its_tasks_out_of_the_due_range_until_it_expires);

async fn a_lease_moves_its_tasks_out_of_the_due_range_until_it_expires(store: Store) {
    // Arrange: two tasks due at 0.
    let specs = ["a", "b"].map(|h| spec(&format!("https://{h}.example/"), "status-is"));
    store.sync_tasks(&specs, at(0)).await.unwrap();

    // Act: one group leased at 0, for 60 s.
    let leased = store.lease("x", 1, LEASE, at(0)).await.unwrap();

    // Assert: only the other task waits, until the lease's last instant; the leased task
    // keeps its scheduled time and its holder.
    assert_eq!(leased.len(), 1);
    let id = leased[0].id;
    assert_eq!(store.waiting_count(at(0)).await.unwrap(), 1);
    assert_eq!(store.waiting_count(at(60)).await.unwrap(), 1);
    assert_eq!(store.oldest_waiting(at(60)).await.unwrap(), Some(at(0)));
    let view = store.task(id).await.unwrap();
    assert_eq!(
        (view.next_run, view.leased_by.as_deref()),
        (at(0), Some("x"))
    );
    assert_eq!(store.recheck_task(id, at(30)).await.unwrap(), 0, "leased");
    // Past it, the task is due again without any sweep...
    assert_eq!(store.waiting_count(at(61)).await.unwrap(), 2);
    // ...and its holder's late result still counts while nobody else took it.
    let got = store
        .ingest("x", &[finished(id, Severity::Ok)], at(61))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(store.waiting_count(at(61)).await.unwrap(), 1);
}

//! The agents' side of the store: config sync, leasing, ingestion, the agents seen, and the
//! manual reschedules (recheck now).

use std::time::Duration;

use argos_checks::{AgentResult, Severity, Status, Task};
use chrono::{DateTime, Utc};

use super::ingest::Posted;
use super::{
    AgentRow, Error, Finished, Ingested, Inner, Store, SyncStats, TaskSpec, postgres, sqlite,
};
use crate::alerting::Rules;

impl Store {
    /// Makes the stored tasks match `desired`, in one transaction (a diff by key: unchanged
    /// tasks keep their id, state and history; new ones are due at `now`; a shorter
    /// frequency brings `next_run` forward to at most `now + frequency`). `desired` is a
    /// slice of specs or, to hold only the changed ones at once, an iterator making them.
    ///
    /// # Errors
    /// Database errors; nothing is changed then.
    pub async fn sync_tasks<T: std::borrow::Borrow<TaskSpec>>(
        &self,
        desired: impl IntoIterator<Item = T>,
        now: DateTime<Utc>,
    ) -> Result<SyncStats, Error> {
        dispatch!(self.sync_tasks(desired, now))
    }

    /// Leases up to `max_groups` request groups that have a due task, earliest first: every
    /// task of those groups goes to `agent` until `now + lease_for`. Groups go whole or not
    /// at all: a group with a task under a live lease, or being leased by another call at
    /// the same moment, is skipped (so no two agents ever send a group's request). Each call
    /// is a new lease: a fresh `lease_id`, stored on its tasks and sent with each of them.
    ///
    /// # Errors
    /// Database errors.
    pub async fn lease(
        &self,
        agent: &str,
        max_groups: u32,
        lease_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Task>, Error> {
        let lease_for = chrono::TimeDelta::from_std(lease_for).unwrap_or(chrono::TimeDelta::MAX);
        let until = now
            .checked_add_signed(lease_for)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let lease_id = uuid::Uuid::new_v4().simple().to_string();
        dispatch!(self.lease(agent, &lease_id, i64::from(max_groups.max(1)), until, now))
    }

    /// Stores results from `agent`, in one transaction. A result counts only if its task is
    /// leased to `agent` (an expired lease still counts while nobody else holds the task)
    /// and, when it names its lease (`lease_id`), under that very lease; others are skipped,
    /// not errors. A task appearing twice keeps its last result. Each
    /// result steps its task's alert state under `rules`, and the alerts raised are written
    /// to the outbox in the same transaction.
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest_with_rules(
        &self,
        agent: &str,
        results: &[Finished],
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error> {
        let posted: Vec<Posted<'_>> = results
            .iter()
            .map(|f| Posted {
                task_id: f.task_id,
                context: &f.context,
                elapsed_ms: f.elapsed_ms,
                lease_id: None,
            })
            .collect();
        let finalize = |_: &str, i: usize| (results[i].status, results[i].severity);
        dispatch!(self.ingest(agent, &posted, &finalize, rules, now))
    }

    /// [`Store::ingest_with_rules`] under the default rules (no website settings, no
    /// routing: alerts are recorded, sent nowhere).
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest(
        &self,
        agent: &str,
        results: &[Finished],
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error> {
        self.ingest_with_rules(agent, results, &Rules::default(), now)
            .await
    }

    /// [`Store::ingest`] for results as agents post them: `finalize(check, result)` gives
    /// each one's `(status, severity)`, with the check name read in the same query that
    /// checks the lease.
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest_agent_results<F>(
        &self,
        agent: &str,
        results: &[AgentResult],
        finalize: &F,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error>
    where
        F: Fn(&str, &AgentResult) -> (Status, Severity) + Sync,
    {
        let posted: Vec<Posted<'_>> = results
            .iter()
            .map(|r| Posted {
                task_id: r.task_id,
                context: &r.context,
                elapsed_ms: r.elapsed_ms,
                lease_id: r.lease_id.as_deref(),
            })
            .collect();
        let finalize = |check: &str, i: usize| finalize(check, &results[i]);
        dispatch!(self.ingest(agent, &posted, &finalize, rules, now))
    }

    /// Records that `agent` was seen at `now` (it polled, even with nothing to do).
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_agent(&self, agent: &str, now: DateTime<Utc>) -> Result<(), Error> {
        dispatch!(self.touch_agent(agent, None, now))
    }

    /// [`Store::touch_agent`], recording the agent's version (its User-Agent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_agent_version(
        &self,
        agent: &str,
        version: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        dispatch!(self.touch_agent(agent, version, now))
    }

    /// Every agent ever seen, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agents(&self) -> Result<Vec<AgentRow>, Error> {
        dispatch!(self.agents())
    }

    /// Makes every task whose severity is not ok due at `now`. Returns how many moved.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reschedule_non_ok(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.reschedule_non_ok(now))
    }

    /// Makes task `id` due at `now` ("recheck now"). Returns 1 if it moved, 0 if it was due.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recheck_task(&self, id: i64, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.recheck_task(id, now))
    }

    /// Makes every task of `netloc` due at `now`. Returns how many moved.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recheck_domain(&self, netloc: &str, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.recheck_domain(netloc, now))
    }
}

//! What the pages and the JSON API read: tasks, results, domains, counts and roll-ups.

use chrono::{DateTime, Utc};

use super::{
    CertExpiry, DomainFilter, DomainSort, DomainsPage, Error, Inner, Point, ResultView, Scope,
    SeverityCounts, Stats, Step, Store, TaskView, Uptime, postgres, rollups_pg, rollups_sqlite,
    sqlite,
};

impl Store {
    /// Number of tasks per current severity (every severity present).
    ///
    /// # Errors
    /// Database errors.
    pub async fn severity_counts(&self) -> Result<SeverityCounts, Error> {
        dispatch!(self.severity_counts())
    }

    /// Tasks due at `now` and not under a live lease.
    ///
    /// # Errors
    /// Database errors.
    pub async fn waiting_count(&self, now: DateTime<Utc>) -> Result<i64, Error> {
        dispatch!(self.waiting_count(now))
    }

    /// One page of domains: the tasks matching `filter` (and whose netloc contains `search`,
    /// case-insensitively), grouped by netloc, worst severity first, then by netloc.
    ///
    /// # Errors
    /// Database errors.
    pub async fn domains_page(
        &self,
        filter: DomainFilter,
        search: Option<&str>,
        sort: DomainSort,
        offset: i64,
        limit: i64,
    ) -> Result<DomainsPage, Error> {
        dispatch!(self.domains_page(filter, search, sort, offset.max(0), limit.max(0)))
    }

    /// The tasks whose netloc is exactly `netloc`, by url, check and IP version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn domain_tasks(&self, netloc: &str) -> Result<Vec<TaskView>, Error> {
        dispatch!(self.domain_tasks(netloc))
    }

    /// One task.
    ///
    /// # Errors
    /// `NotFound`, or database errors.
    pub async fn task(&self, id: i64) -> Result<TaskView, Error> {
        dispatch!(self.task(id))
    }

    /// A task's results, newest first: up to `limit` results older than `before_id` (the
    /// last id of the previous page; `None` for the first page).
    ///
    /// # Errors
    /// Database errors.
    pub async fn task_results(
        &self,
        task_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ResultView>, Error> {
        dispatch!(self.task_results(task_id, before_id.unwrap_or(i64::MAX), limit.max(0)))
    }

    /// One result.
    ///
    /// # Errors
    /// `NotFound`, or database errors.
    pub async fn result(&self, id: i64) -> Result<ResultView, Error> {
        dispatch!(self.result(id))
    }

    /// The earliest due time among the tasks waiting for an agent (`None`: none waits).
    ///
    /// # Errors
    /// Database errors.
    pub async fn oldest_waiting(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, Error> {
        dispatch!(self.oldest_waiting(now))
    }

    /// Rebuilds the domains page's per-domain summaries from the tasks (sync and ingestion
    /// keep them; this is for tasks changed by other means, such as a bulk import).
    ///
    /// # Errors
    /// Database errors.
    pub async fn rebuild_domains(&self) -> Result<(), Error> {
        dispatch!(self.rebuild_domains())
    }

    /// `GET /api/stats`: waiting tasks, stored results, tasks under a live lease.
    ///
    /// # Errors
    /// Database errors.
    pub async fn stats(&self, now: DateTime<Utc>) -> Result<Stats, Error> {
        dispatch!(self.stats(now))
    }

    /// Uptime of each task of `scope` over the last 24 hours, 7 days and 30 days (whole
    /// buckets, see [`Windows`]), read from the roll-ups. Tasks without any result in 30
    /// days are absent.
    ///
    /// # Errors
    /// Database errors.
    pub async fn uptimes(
        &self,
        scope: Scope<'_>,
        now: DateTime<Utc>,
    ) -> Result<std::collections::BTreeMap<i64, Uptime>, Error> {
        dispatch_rollups!(self.uptimes(scope, now))
    }

    /// Response times of the tasks of `scope` together, one point per `step` bucket starting
    /// in `[from, to)` that has results, oldest first, read from the roll-ups.
    ///
    /// # Errors
    /// Database errors.
    pub async fn response_times(
        &self,
        scope: Scope<'_>,
        step: Step,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Point>, Error> {
        dispatch_rollups!(self.response_times(scope, step, from, to))
    }

    /// When the certificate of each task of `netloc` expires, as its latest result reported
    /// it (tasks whose latest result has no certificate are absent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn certificate_expiries(&self, netloc: &str) -> Result<Vec<CertExpiry>, Error> {
        dispatch_rollups!(self.certificate_expiries(netloc))
    }
}

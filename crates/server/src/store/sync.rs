//! The config → tasks diff, shared by both backends.
//!
//! The backend loads every task's key and settings once, [`diff`] compares them with the
//! desired specs in a hash map (linear time), and the backend applies the result in batches:
//! each batch is one statement taking a JSON array (PostgreSQL `jsonb_to_recordset`, SQLite
//! `jsonb_each`), so 40,000 tasks cost a few dozen round trips, not 40,000.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::model::{SyncStats, TaskSpec};

/// Rows per insert/update/delete statement: large enough to amortise the round trip, small
/// enough to keep each JSON parameter a few megabytes at most.
pub(crate) const BATCH: usize = 2_000;

/// The settings of a task that a config change may update in place (its identity, the key,
/// covers everything else).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub task_group: String,
    pub domain: String,
    pub netloc: String,
    pub frequency_s: f64,
    pub recheck_delay_s: Option<f64>,
    pub retry_before_notification: i32,
    pub add_alerts_recipients: Option<String>,
    pub overwrite_alerts_recipients: Option<String>,
}

impl Settings {
    fn matches(&self, s: &TaskSpec) -> bool {
        self.task_group == s.task_group
            && self.domain == s.domain
            && self.netloc == s.netloc
            && self.frequency_s == s.frequency_s
            && self.recheck_delay_s == s.recheck_delay_s
            && self.retry_before_notification == s.retry_before_notification
            && self.add_alerts_recipients == s.add_alerts_recipients
            && self.overwrite_alerts_recipients == s.overwrite_alerts_recipients
    }
}

/// A task as stored, as far as the diff is concerned.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub id: i64,
    pub key: String,
    pub settings: Settings,
}

/// What to do to make the stored tasks match the desired ones. `T` is a [`TaskSpec`] or a
/// reference to one: a reload passes the config's specs one by one and the plan keeps only
/// those that change (the unchanged 30,000 of a 10,000-site reload are dropped as they are
/// compared, not all held at once: 35 MB).
#[derive(Debug)]
pub(crate) struct Plan<T> {
    pub insert: Vec<T>,
    pub update: Vec<(i64, T)>,
    pub delete: Vec<i64>,
    pub stats: SyncStats,
}

/// Diffs by key. A key repeated in `desired` keeps its first occurrence. The map borrows
/// `current` rather than owning copies: owned, it was 14 MB for 30,000 tasks.
pub(crate) fn diff<T: Borrow<TaskSpec>>(
    current: &[Current],
    desired: impl IntoIterator<Item = T>,
) -> Plan<T> {
    let mut stored: HashMap<&str, &Current> = current.iter().map(|c| (c.key.as_str(), c)).collect();
    let mut seen = HashSet::with_capacity(current.len());
    let mut plan = Plan {
        insert: Vec::new(),
        update: Vec::new(),
        delete: Vec::new(),
        stats: SyncStats::default(),
    };
    for item in desired {
        let spec = item.borrow();
        if !seen.insert(spec.key.clone()) {
            continue;
        }
        match stored.remove(spec.key.as_str()) {
            None => plan.insert.push(item),
            Some(c) if c.settings.matches(spec) => plan.stats.unchanged += 1,
            Some(c) => plan.update.push((c.id, item)),
        }
    }
    plan.delete = stored.into_values().map(|c| c.id).collect();
    plan.delete.sort_unstable();
    plan.stats.added = plan.insert.len() as u64;
    plan.stats.updated = plan.update.len() as u64;
    plan.stats.removed = plan.delete.len() as u64;
    plan
}

/// The insert statement's rows for `chunk` of [`Plan::insert`].
pub(crate) fn new_tasks<T: Borrow<TaskSpec>>(chunk: &[T]) -> Vec<NewTask<'_>> {
    chunk.iter().map(|s| NewTask::from(s.borrow())).collect()
}

/// The update statements' rows for `chunk` of [`Plan::update`].
pub(crate) fn new_settings<T: Borrow<TaskSpec>>(chunk: &[(i64, T)]) -> Vec<NewSettings<'_>> {
    chunk
        .iter()
        .map(|(id, s)| NewSettings::new(*id, s.borrow()))
        .collect()
}

/// One new task, as an element of the JSON array parameter of the insert statement.
#[derive(Serialize)]
pub(crate) struct NewTask<'a> {
    task_key: &'a str,
    task_group: &'a str,
    domain: &'a str,
    netloc: &'a str,
    url: &'a str,
    method: &'static str,
    request_data: Option<&'a str>,
    request_options: Option<&'a str>,
    check_name: &'a str,
    expected: &'a str,
    ip_version: &'static str,
    frequency_s: f64,
    recheck_delay_s: Option<f64>,
    retry_before_notification: i32,
    add_alerts_recipients: Option<&'a str>,
    overwrite_alerts_recipients: Option<&'a str>,
}

impl<'a> From<&'a TaskSpec> for NewTask<'a> {
    fn from(s: &'a TaskSpec) -> Self {
        NewTask {
            task_key: &s.key,
            task_group: &s.task_group,
            domain: &s.domain,
            netloc: &s.netloc,
            url: &s.url,
            method: s.method.as_str(),
            request_data: s.request_data.as_deref(),
            request_options: s.request_options.as_deref(),
            check_name: &s.check,
            expected: &s.expected,
            ip_version: s.ip_version.as_str(),
            frequency_s: s.frequency_s,
            recheck_delay_s: s.recheck_delay_s,
            retry_before_notification: s.retry_before_notification,
            add_alerts_recipients: s.add_alerts_recipients.as_deref(),
            overwrite_alerts_recipients: s.overwrite_alerts_recipients.as_deref(),
        }
    }
}

/// New settings for one stored task, as an element of the update statement's JSON array.
#[derive(Serialize)]
pub(crate) struct NewSettings<'a> {
    id: i64,
    task_group: &'a str,
    domain: &'a str,
    netloc: &'a str,
    frequency_s: f64,
    recheck_delay_s: Option<f64>,
    retry_before_notification: i32,
    add_alerts_recipients: Option<&'a str>,
    overwrite_alerts_recipients: Option<&'a str>,
}

impl<'a> NewSettings<'a> {
    fn new(id: i64, s: &'a TaskSpec) -> Self {
        NewSettings {
            id,
            task_group: &s.task_group,
            domain: &s.domain,
            netloc: &s.netloc,
            frequency_s: s.frequency_s,
            recheck_delay_s: s.recheck_delay_s,
            retry_before_notification: s.retry_before_notification,
            add_alerts_recipients: s.add_alerts_recipients.as_deref(),
            overwrite_alerts_recipients: s.overwrite_alerts_recipients.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use argos_checks::{IpVersion, Method};

    use super::*;

    fn spec(key: &str, frequency_s: f64) -> TaskSpec {
        TaskSpec {
            key: key.into(),
            task_group: "g".into(),
            domain: "https://a/".into(),
            netloc: "a".into(),
            url: "https://a/".into(),
            method: Method::Get,
            request_data: None,
            request_options: None,
            check: "status-is".into(),
            expected: "200".into(),
            ip_version: IpVersion::V4,
            frequency_s,
            recheck_delay_s: None,
            retry_before_notification: 0,
            add_alerts_recipients: None,
            overwrite_alerts_recipients: None,
        }
    }

    fn stored(id: i64, s: &TaskSpec) -> Current {
        let settings = Settings {
            task_group: s.task_group.clone(),
            domain: s.domain.clone(),
            netloc: s.netloc.clone(),
            frequency_s: s.frequency_s,
            recheck_delay_s: s.recheck_delay_s,
            retry_before_notification: s.retry_before_notification,
            add_alerts_recipients: s.add_alerts_recipients.clone(),
            overwrite_alerts_recipients: s.overwrite_alerts_recipients.clone(),
        };
        Current {
            id,
            key: s.key.clone(),
            settings,
        }
    }

    #[test]
    fn diff_sorts_every_task_into_one_bucket() {
        let current = vec![
            stored(1, &spec("same", 60.0)),
            stored(2, &spec("changed", 60.0)),
            stored(3, &spec("gone", 60.0)),
        ];
        let mut recheck = spec("recheck", 60.0);
        let current = [current, vec![stored(4, &recheck)]].concat();
        recheck.recheck_delay_s = Some(5.0);
        let desired = vec![
            spec("same", 60.0),
            spec("changed", 30.0),
            spec("new", 60.0),
            spec("new", 1.0),
            recheck,
        ];
        let plan = diff(&current, &desired);
        assert_eq!(
            plan.stats,
            SyncStats {
                added: 1,
                updated: 2,
                removed: 1,
                unchanged: 1
            }
        );
        assert_eq!(
            plan.insert[0].frequency_s, 60.0,
            "the first occurrence of a key wins"
        );
        assert_eq!(plan.update.iter().map(|u| u.0).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(plan.delete, [3]);
    }

    #[test]
    fn specs_made_one_by_one_are_kept_only_when_they_change() {
        let current = vec![
            stored(1, &spec("same", 60.0)),
            stored(2, &spec("gone", 60.0)),
        ];
        let made = ["same", "new", "same"].into_iter().map(|k| spec(k, 60.0));
        let plan: Plan<TaskSpec> = diff(&current, made);
        assert_eq!(plan.stats.unchanged, 1);
        let inserted: Vec<&str> = plan.insert.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(inserted, ["new"], "the repeated key is not inserted");
        assert!(plan.update.is_empty());
        assert_eq!(plan.delete, [2]);
    }
}

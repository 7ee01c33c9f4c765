//! The figures, computed from what was observed: percentiles, the cold start's end, and the
//! lateness of each check (when its site saw the request, minus when it was due).
//!
//! When a check is due comes from the server's scheduling rule (`crates/server/src/
//! schedule.rs`): a task runs on the fixed grid `offset + k × frequency`, where `offset` is
//! the first 8 bytes (little-endian) of the SHA-256 of its request group, modulo the period.
//! Should that rule change, the lateness turns into noise spread over the whole period; the
//! bench warns when its median passes a fifth of the period.

use std::collections::{HashMap, HashSet};

use argos_testkit::farm::{Arrival, site_index};
use sha2::{Digest, Sha256};

use crate::db::{ResultRow, TaskRow};

/// Median, 99th percentile and maximum of some values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub count: usize,
}

/// Nearest-rank percentiles; `None` without values.
pub fn spread(mut values: Vec<f64>) -> Option<Spread> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let rank =
        |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    (!values.is_empty()).then(|| Spread {
        p50: rank(0.50),
        p99: rank(0.99),
        max: values[values.len() - 1],
        count: values.len(),
    })
}

/// The grid offset of a request group, in ms (see the module documentation).
pub fn grid_offset_ms(task_group: &str, period_ms: i64) -> i64 {
    let digest = Sha256::digest(task_group.as_bytes());
    let hash = u64::from_le_bytes(digest[..8].try_into().expect("32 bytes"));
    (hash % period_ms.max(1) as u64) as i64
}

/// The request group behind one kind of farm request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub offset_ms: i64,
    pub period_ms: i64,
    /// Checks sharing the request.
    pub checks: usize,
}

impl Grid {
    /// The latest due time at or before `at_ms`.
    fn due_before(&self, at_ms: i64) -> i64 {
        self.offset_ms + (at_ms - self.offset_ms).div_euclid(self.period_ms) * self.period_ms
    }
}

/// Each farm request kind `(site, https)` and its group, from the tasks' request groups.
pub fn grids(tasks: &[TaskRow]) -> HashMap<(u32, bool), Grid> {
    let mut grids: HashMap<(u32, bool), Grid> = HashMap::new();
    for t in tasks {
        let requested = group_url(&t.task_group).unwrap_or(&t.url);
        let Ok(url) = url::Url::parse(requested) else {
            continue;
        };
        let Some(site) = url.host_str().and_then(|h| site_index(h.parse().ok()?)) else {
            continue;
        };
        let period_ms = (t.frequency_s * 1000.0).round() as i64;
        grids
            .entry((site as u32, url.scheme() == "https"))
            .and_modify(|g| g.checks += 1)
            .or_insert(Grid {
                offset_ms: grid_offset_ms(&t.task_group, period_ms),
                period_ms,
                checks: 1,
            });
    }
    grids
}

/// The URL a request group asks for: its key is `<METHOD>-<ip version>-<url>-<hash>`, and the
/// URL is the one requested (`http://` for `http-to-https`), unlike the task's own URL.
fn group_url(group: &str) -> Option<&str> {
    let (_method, rest) = group.split_once('-')?;
    let (_ip, rest) = rest.split_once('-')?;
    Some(rest.rsplit_once('-')?.0)
}

/// How late the checks ran in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Lateness {
    /// Seconds, one value per check.
    pub spread: Option<Spread>,
    /// Due runs (of request groups) in the window.
    pub due: usize,
    /// Of them, those no request was seen for within a period.
    pub missed: usize,
}

/// The lateness of the runs due in `[from_ms, until_ms]` that were seen by `seen_until_ms`.
pub fn lateness(
    arrivals: &[Arrival],
    grids: &HashMap<(u32, bool), Grid>,
    from_ms: i64,
    until_ms: i64,
    seen_until_ms: i64,
) -> Lateness {
    let in_window = |due: i64| (from_ms..=until_ms).contains(&due);
    let mut values = Vec::new();
    let mut runs = HashSet::new();
    for a in arrivals.iter().filter(|a| a.at_ms <= seen_until_ms) {
        let Some(grid) = grids.get(&(a.site, a.https)) else {
            continue;
        };
        let due = grid.due_before(a.at_ms);
        if in_window(due) && runs.insert((a.site, a.https, due)) {
            let late_s = (a.at_ms - due) as f64 / 1000.0;
            values.extend(std::iter::repeat_n(late_s, grid.checks));
        }
    }
    let due: usize = grids
        .values()
        .map(|g| {
            let first = g.due_before(from_ms - 1) + g.period_ms;
            if first > until_ms {
                0
            } else {
                ((until_ms - first) / g.period_ms + 1) as usize
            }
        })
        .sum();
    Lateness {
        spread: spread(values),
        due,
        missed: due.saturating_sub(runs.len()),
    }
}

/// The cold start as the results tell it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cold {
    /// When the last task got its first result (Unix ms), if every task has one.
    pub done_ms: Option<i64>,
    /// Results stored until then (re-checks of tasks due again included).
    pub results: usize,
    /// Of them, not ok.
    pub not_ok: usize,
    /// Check latency (`elapsed_ms`) of those results, ms.
    pub latency: Option<Spread>,
}

pub fn cold(results: &[ResultRow], tasks: usize) -> Cold {
    let mut first: HashMap<i64, i64> = HashMap::new();
    for r in results {
        first
            .entry(r.task_id)
            .and_modify(|t| *t = (*t).min(r.at_ms))
            .or_insert(r.at_ms);
    }
    let done_ms = (first.len() >= tasks)
        .then(|| first.values().copied().max())
        .flatten();
    let until = done_ms.unwrap_or(i64::MAX);
    let window: Vec<&ResultRow> = results.iter().filter(|r| r.at_ms <= until).collect();
    Cold {
        done_ms,
        results: window.len(),
        not_ok: window.iter().filter(|r| !r.ok).count(),
        latency: spread(window.iter().filter_map(|r| r.elapsed_ms).collect()),
    }
}

/// Check latency (ms) and failures of the results stored in `(from_ms, until_ms]`.
pub fn latency_between(
    results: &[ResultRow],
    from_ms: i64,
    until_ms: i64,
) -> (Option<Spread>, usize, usize) {
    let window: Vec<&ResultRow> = results
        .iter()
        .filter(|r| r.at_ms > from_ms && r.at_ms <= until_ms)
        .collect();
    let not_ok = window.iter().filter(|r| !r.ok).count();
    let latency = spread(window.iter().filter_map(|r| r.elapsed_ms).collect());
    (latency, window.len(), not_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = spread((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!((s.p50, s.p99, s.max, s.count), (50.0, 99.0, 100.0, 100));
        assert_eq!(spread(vec![7.0]).unwrap().p99, 7.0);
        assert_eq!(spread(Vec::new()), None);
    }

    #[test]
    fn lateness_is_measured_from_the_grid_and_counts_missed_runs() {
        let grid = Grid {
            offset_ms: 1_000,
            period_ms: 60_000,
            checks: 2,
        };
        let grids = HashMap::from([((0, true), grid), ((1, false), Grid { checks: 1, ..grid })]);
        let at = |site, https, at_ms| Arrival { site, https, at_ms };
        let arrivals = [
            at(0, true, 61_250),  // due 61 000: 0.25 s late, two checks
            at(0, true, 61_900),  // a second request for the same run is not a run
            at(0, true, 121_000), // due 121 000, on time
            at(1, false, 62_000), // due 61 000: 1 s late; its 121 000 run never came
            at(9, true, 61_000),  // not a configured site
        ];
        let l = lateness(&arrivals, &grids, 60_000, 130_000, 200_000);
        assert_eq!((l.due, l.missed), (4, 1));
        let s = l.spread.unwrap();
        assert_eq!((s.count, s.p50, s.max), (5, 0.25, 1.0));
    }

    #[test]
    fn requests_are_told_apart_by_their_group_not_the_task_url() {
        let task = |_check: &str, group: &str| TaskRow {
            url: "https://127.1.0.2:9/".into(),
            task_group: format!("GET-4-{group}-00ff"),
            frequency_s: 60.0,
        };
        let tasks = [
            task("status-is", "https://127.1.0.2:9/"),
            task("ssl-certificate-expiration", "https://127.1.0.2:9/"),
            task("http-to-https", "http://127.1.0.2:9/"),
        ];
        let grids = grids(&tasks);
        assert_eq!(grids.len(), 2);
        assert_eq!(grids[&(1, true)].checks, 2);
        assert_eq!(grids[&(1, false)].checks, 1);
        assert_eq!(
            grids[&(1, false)].offset_ms,
            grid_offset_ms("GET-4-http://127.1.0.2:9/-00ff", 60_000)
        );
    }

    #[test]
    fn the_grid_offset_is_stable_and_within_the_period() {
        let a = grid_offset_ms("GET-4-https://127.1.0.1:9/-x", 60_000);
        assert_eq!(a, grid_offset_ms("GET-4-https://127.1.0.1:9/-x", 60_000));
        assert!((0..60_000).contains(&a));
    }

    #[test]
    fn cold_ends_with_the_last_first_result() {
        let r = |task_id, at_ms, ok| ResultRow {
            task_id,
            at_ms,
            elapsed_ms: Some(2.0),
            ok,
        };
        let rows = [
            r(1, 10, true),
            r(2, 30, false),
            r(1, 20, true),
            r(1, 40, true),
        ];
        let c = cold(&rows, 2);
        assert_eq!((c.done_ms, c.results, c.not_ok), (Some(30), 3, 1));
        assert_eq!(cold(&rows, 3).done_ms, None);
    }
}

//! A scenario's figures, from what it observed.

use std::path::PathBuf;
use std::time::Duration;

use argos_testkit::farm::Arrival;

use crate::ceiling::Ceiling;
use crate::db::{ResultRow, TaskRow};
use crate::sampler::{Peaks, Totals};
use crate::stats::{self, Cold, Lateness, Spread};

/// Runs due in the last seconds of the steady state are not counted: they may not have run yet.
const STEADY_TAIL_MS: i64 = 15_000;

/// The steady state's figures.
pub struct Steady {
    pub seconds: f64,
    pub lateness: Lateness,
    pub latency: Option<Spread>,
    pub results: usize,
    pub not_ok: usize,
    pub cpu: Totals,
}

/// A scenario's figures.
pub struct Row {
    pub label: String,
    pub ceiling: Ceiling,
    pub start: Duration,
    pub reload: Option<Duration>,
    pub tasks: usize,
    pub cold_s: Option<f64>,
    pub cold: Cold,
    pub cold_cpu: Totals,
    pub steady: Option<Steady>,
    pub peaks: Peaks,
    pub db_bytes: i64,
    pub bytes_per_result: Option<f64>,
    pub results: usize,
    pub profiles: Vec<PathBuf>,
}

/// What a scenario saw, before it is turned into figures.
pub struct Observed {
    pub tasks: usize,
    /// When the agents started, Unix ms.
    pub t0_ms: i64,
    /// CPU totals when the agents started, at the cold start's end, at the steady state's end.
    pub marks: [Totals; 3],
    pub steady_s: Option<f64>,
    pub steady_end_ms: i64,
    pub reload: Option<Duration>,
    pub peaks: Peaks,
    pub results: Vec<ResultRow>,
    pub task_rows: Vec<TaskRow>,
    pub arrivals: Vec<Arrival>,
    /// The database's size when the agents started, and at the end.
    pub sizes: (i64, i64),
    pub profiles: Vec<PathBuf>,
}

impl Observed {
    pub fn figures(self, label: &str, ceiling: Ceiling, start: Duration) -> Row {
        let cold = stats::cold(&self.results, self.tasks);
        let cold_s = cold.done_ms.map(|done| (done - self.t0_ms) as f64 / 1000.0);
        let [base, cold_mark, steady_mark] = self.marks;
        let from = cold.done_ms.unwrap_or(self.t0_ms);
        let end = self.steady_end_ms;
        let steady = self.steady_s.map(|seconds| {
            let grids = stats::grids(&self.task_rows);
            let lateness = stats::lateness(&self.arrivals, &grids, from, end - STEADY_TAIL_MS, end);
            let (latency, results, not_ok) = stats::latency_between(&self.results, from, end);
            let cpu = steady_mark.since(&cold_mark);
            Steady {
                seconds,
                lateness,
                latency,
                results,
                not_ok,
                cpu,
            }
        });
        let (size0, size1) = self.sizes;
        let stored = self.results.len();
        Row {
            label: label.to_owned(),
            ceiling,
            start,
            reload: self.reload,
            tasks: self.tasks,
            cold_s,
            cold,
            cold_cpu: cold_mark.since(&base),
            steady,
            peaks: self.peaks,
            db_bytes: size1,
            bytes_per_result: (stored > 0).then(|| (size1 - size0) as f64 / stored as f64),
            results: stored,
            profiles: self.profiles,
        }
    }
}

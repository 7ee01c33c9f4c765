//! Samples what the processes of a scenario cost, every half second and at phase marks:
//! CPU time per component (server, agents, database backends, the bench itself with its
//! farm), peak memory, and the machine's busy time (so that other work on a shared machine
//! shows as noise rather than hiding in the figures).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::BenchDb;
use crate::procs::{self, usage};

const PERIOD: Duration = Duration::from_millis(500);

/// The components, in this order in [`Totals::cpu_s`].
pub const SERVER: usize = 0;
pub const AGENTS: usize = 1;
pub const DATABASE: usize = 2;
pub const BENCH: usize = 3;

#[derive(Default)]
struct Component {
    /// Last CPU ticks seen per pid (a pid that exits keeps its last reading).
    ticks: BTreeMap<u32, u64>,
    /// Highest `VmHWM` of one process.
    peak_one_kb: u64,
    /// Highest sum of resident memory over the processes (private memory for the database).
    peak_sum_kb: u64,
}

#[derive(Default)]
struct State {
    parts: [Component; 4],
    machine: (u64, u64),
}

/// CPU totals at one instant, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub cpu_s: [f64; 4],
    pub machine_busy_s: f64,
    pub machine_total_s: f64,
}

impl Totals {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Totals) -> Totals {
        Totals {
            cpu_s: std::array::from_fn(|i| self.cpu_s[i] - earlier.cpu_s[i]),
            machine_busy_s: self.machine_busy_s - earlier.machine_busy_s,
            machine_total_s: self.machine_total_s - earlier.machine_total_s,
        }
    }

    /// CPU seconds of the machine used by processes other than the scenario's.
    pub fn others_s(&self) -> f64 {
        (self.machine_busy_s - self.cpu_s.iter().sum::<f64>()).max(0.0)
    }
}

/// Peak memory, kB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Peaks {
    pub server_kb: u64,
    /// The largest agent.
    pub agent_kb: u64,
    /// Private memory of the database backends, summed (PostgreSQL only).
    pub database_kb: u64,
}

pub struct Sampler {
    state: Arc<Mutex<State>>,
    pids: Arc<Mutex<[Vec<u32>; 2]>>,
    db: Arc<BenchDb>,
    ticks_per_s: f64,
    task: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Samples the `server`, the agents added later and the database's backends.
    pub fn start(server: u32, db: Arc<BenchDb>) -> Sampler {
        let mut sampler = Sampler {
            state: Arc::default(),
            pids: Arc::new(Mutex::new([vec![server], Vec::new()])),
            db,
            ticks_per_s: procs::clock_ticks(),
            task: None,
        };
        let copy = sampler.clone_handle();
        sampler.task = Some(tokio::spawn(async move {
            loop {
                copy.sample().await;
                tokio::time::sleep(PERIOD).await;
            }
        }));
        sampler
    }

    fn clone_handle(&self) -> Sampler {
        Sampler {
            state: self.state.clone(),
            pids: self.pids.clone(),
            db: self.db.clone(),
            ticks_per_s: self.ticks_per_s,
            task: None,
        }
    }

    /// Samples the agent `pid` from now on.
    pub fn add_agent(&self, pid: u32) {
        self.pids.lock().unwrap_or_else(|e| e.into_inner())[AGENTS].push(pid);
    }

    async fn sample(&self) {
        let db = self.db.backend_pids().await.unwrap_or_default();
        let me = vec![std::process::id()];
        let [server, agents] = self.pids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let lists = [&server, &agents, &db, &me];
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (part, pids) in state.parts.iter_mut().zip(lists) {
            let (mut rss, mut anon) = (0, 0);
            for &pid in pids {
                let Some(u) = usage(pid) else { continue };
                part.ticks.insert(pid, u.cpu_ticks);
                part.peak_one_kb = part.peak_one_kb.max(u.hwm_kb);
                (rss, anon) = (rss + u.rss_kb, anon + u.anon_kb);
            }
            let sum = if std::ptr::eq(pids, &db) { anon } else { rss };
            part.peak_sum_kb = part.peak_sum_kb.max(sum);
        }
        if let Some(m) = procs::machine_ticks() {
            state.machine = m;
        }
    }

    /// Samples now and returns the totals so far.
    pub async fn mark(&self) -> Totals {
        self.sample().await;
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let s = |ticks: u64| ticks as f64 / self.ticks_per_s;
        Totals {
            cpu_s: std::array::from_fn(|i| s(state.parts[i].ticks.values().sum())),
            machine_busy_s: s(state.machine.0),
            machine_total_s: s(state.machine.1),
        }
    }

    /// Peak memory so far.
    pub fn peaks(&self) -> Peaks {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Peaks {
            server_kb: state.parts[SERVER].peak_one_kb,
            agent_kb: state.parts[AGENTS].peak_one_kb,
            database_kb: state.parts[DATABASE].peak_sum_kb,
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

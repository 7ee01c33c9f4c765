//! One scenario: one backend, one number of agents, from a fresh database to its figures.
//!
//! ceiling → server start → cold start (agents started, every task due at once, until each
//! has a result) → steady state (every task every minute) → reload (SIGHUP) → read results.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argos_testkit::farm::Farm;
use chrono::Utc;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::Error;
use crate::argos::{self, AgentOptions, Server};
use crate::args::{Args, Backend};
use crate::ceiling;
use crate::db::BenchDb;
use crate::figures::{Observed, Row};
use crate::procs::{self, Proc};
use crate::sampler::Sampler;

/// TIME_WAIT sockets (outside the farm's port) a scenario may start with.
const TIME_WAIT_BUDGET: usize = 2_000;

/// What every scenario shares.
pub struct Bench<'a> {
    pub args: &'a Args,
    pub argos: &'a Path,
    pub farm: &'a Farm,
    pub ca_file: &'a Path,
    pub bars: &'a MultiProgress,
}

pub fn bar(bars: &MultiProgress, label: &str, len: u64, what: &str) -> ProgressBar {
    let style =
        ProgressStyle::with_template("{prefix:>22} {msg:<28} [{bar:30}] {pos}/{len} {elapsed:>4}")
            .expect("a valid template")
            .progress_chars("=> ");
    let bar = bars.add(ProgressBar::new(len).with_style(style));
    bar.set_prefix(label.to_owned());
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

impl Bench<'_> {
    pub async fn run(&self, backend: Backend, agents: usize, dir: &Path) -> Result<Row, Error> {
        let label = format!(
            "{} × {agents} agent{}",
            backend.name(),
            if agents == 1 { "" } else { "s" }
        );
        std::fs::create_dir_all(dir)?;
        self.settle(&label).await;
        let b = bar(self.bars, &label, 0, "ceiling (fresh connections)");
        let ceiling = ceiling::run(self.farm, self.args.concurrency, &b).await;
        b.finish_and_clear();
        let mut db = BenchDb::create(backend, dir, self.args.database_url.as_deref()).await?;
        let config = dir.join("argos.yaml");
        std::fs::write(
            &config,
            crate::argos_config::config(&db.argos_url, self.farm),
        )?;
        let b = bar(self.bars, &label, 0, "server start (load + sync)");
        let server = argos::start_server(self.argos, &config, dir).await;
        b.finish_and_clear();
        let server = server?;
        db.attach().await?;
        let db = Arc::new(db);
        let outcome = self.observe(&label, &server, &db, agents, dir).await;
        let b = bar(self.bars, &label, 0, "stopping the server");
        server.proc.stop(Duration::from_secs(30)).await;
        b.finish_and_clear();
        match Arc::try_unwrap(db) {
            Ok(db) => db.drop_database().await?,
            Err(_) => eprintln!("{label}: the database is still in use; not dropped"),
        }
        Ok(outcome?.figures(&label, ceiling, server.start))
    }

    /// Waits (a minute at most) for the previous scenario's TIME_WAIT sockets to go, so that
    /// each scenario starts with the ephemeral port range nearly free.
    async fn settle(&self, label: &str) {
        let waiting = procs::time_wait_sockets(self.farm.port());
        if waiting <= TIME_WAIT_BUDGET {
            return;
        }
        let b = bar(
            self.bars,
            label,
            waiting as u64,
            "TIME_WAIT sockets to expire",
        );
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(65) {
            let now = procs::time_wait_sockets(self.farm.port());
            b.set_position(waiting.saturating_sub(now) as u64);
            if now <= TIME_WAIT_BUDGET {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        b.finish_and_clear();
    }

    /// Runs the agents through the cold start and the steady state, then reloads.
    async fn observe(
        &self,
        label: &str,
        server: &Server,
        db: &Arc<BenchDb>,
        count: usize,
        dir: &Path,
    ) -> Result<Observed, Error> {
        let tasks = db.tasks().await?.len();
        let sampler = Sampler::start(server.proc.pid, db.clone());
        let size0 = db.size_bytes().await?;
        self.farm.take_arrivals();
        let base = sampler.mark().await;
        let t0_ms = Utc::now().timestamp_millis();
        let mut agents = self.start_agents(server.port, count, dir, &sampler)?;
        let perf = self.start_perf(server, &agents, db, dir).await?;
        let polled = self.cold_start(label, db, tasks, &mut agents).await;
        let cold_mark = sampler.mark().await;
        let mut profiles = Vec::new();
        for (proc, data) in perf {
            profiles.push(argos::finish_perf(proc, &data).await?);
        }
        polled?;
        let steady_s = match self.args.cold_only {
            true => None,
            false => Some(self.steady(label, &mut agents).await?),
        };
        let steady_mark = sampler.mark().await;
        let steady_end_ms = Utc::now().timestamp_millis();
        let reload = server.reload().await;
        let observed = Observed {
            tasks,
            t0_ms,
            marks: [base, cold_mark, steady_mark],
            steady_s,
            steady_end_ms,
            reload: reload.map_err(|e| eprintln!("{label}: reload: {e}")).ok(),
            peaks: sampler.peaks(),
            results: db.results().await?,
            task_rows: db.tasks().await?,
            arrivals: self.farm.take_arrivals(),
            sizes: (size0, db.size_bytes().await?),
            profiles,
        };
        drop(sampler);
        self.stop_agents(label, agents).await;
        Ok(observed)
    }

    fn start_agents(
        &self,
        port: u16,
        count: usize,
        dir: &Path,
        sampler: &Sampler,
    ) -> Result<Vec<Proc>, Error> {
        let options = AgentOptions {
            argos: self.argos,
            ca_file: self.ca_file,
            max_tasks: self.args.max_tasks,
            wait_time: self.args.wait_time,
        };
        let mut agents = Vec::new();
        for n in 0..count {
            let agent = argos::start_agent(&options, port, n, dir)?;
            sampler.add_agent(agent.pid);
            agents.push(agent);
        }
        Ok(agents)
    }

    async fn stop_agents(&self, label: &str, agents: Vec<Proc>) {
        let b = bar(self.bars, label, agents.len() as u64, "stopping the agents");
        for agent in agents {
            agent.stop(Duration::from_secs(30)).await;
            b.inc(1);
        }
        b.finish_and_clear();
    }

    /// Polls until every task has a result; fails when a process dies or it takes too long.
    async fn cold_start(
        &self,
        label: &str,
        db: &BenchDb,
        tasks: usize,
        agents: &mut [Proc],
    ) -> Result<(), Error> {
        let limit = Duration::from_secs(300.max(tasks as u64 / 10));
        let b = bar(self.bars, label, tasks as u64, "cold start (checks done)");
        let t = Instant::now();
        loop {
            let done = db.tasks_done().await? as u64;
            b.set_position(done);
            if done >= tasks as u64 {
                break;
            }
            check_alive(agents)?;
            if t.elapsed() > limit {
                b.abandon();
                return Err(format!("{label}: cold start not finished after {limit:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        b.finish_and_clear();
        Ok(())
    }

    /// Lets the agents run for `--steady-minutes`; returns how long that was.
    async fn steady(&self, label: &str, agents: &mut [Proc]) -> Result<f64, Error> {
        let total = Duration::from_secs_f64(self.args.steady_minutes * 60.0);
        let b = bar(self.bars, label, total.as_secs(), "steady state (seconds)");
        let t = Instant::now();
        while t.elapsed() < total {
            check_alive(agents)?;
            b.set_position(t.elapsed().as_secs());
            tokio::time::sleep(Duration::from_millis(500).min(total - t.elapsed().min(total)))
                .await;
        }
        b.finish_and_clear();
        Ok(t.elapsed().as_secs_f64())
    }

    async fn start_perf(
        &self,
        server: &Server,
        agents: &[Proc],
        db: &BenchDb,
        dir: &Path,
    ) -> Result<Vec<(Proc, PathBuf)>, Error> {
        if !self.args.perf {
            return Ok(Vec::new());
        }
        let mut perf = vec![argos::start_perf("server", &[server.proc.pid], dir)?];
        let agents: Vec<u32> = agents.iter().map(|a| a.pid).collect();
        perf.push(argos::start_perf("agents", &agents, dir)?);
        let backends = db.backend_pids().await?;
        if !backends.is_empty() {
            perf.push(argos::start_perf("postgres", &backends, dir)?);
        }
        Ok(perf)
    }
}

fn check_alive(agents: &mut [Proc]) -> Result<(), Error> {
    for agent in agents.iter_mut() {
        if !agent.running() {
            return Err(format!("{} exited:\n{}", agent.name, agent.tail(20)).into());
        }
    }
    Ok(())
}

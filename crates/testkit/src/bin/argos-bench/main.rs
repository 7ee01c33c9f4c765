//! `argos-bench`: a benchmark anyone can run, on one machine and with no internet.
//!
//! ```sh
//! cargo build --release -p argos-server --bin argos -p argos-testkit --bin argos-bench
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres target/release/argos-bench --sites 2000
//! ```
//!
//! It starts a site farm on loopback ([`argos_testkit::farm`]), then for each backend ×
//! agent count runs the real `argos` binary (server with the embedded agent off, and K
//! `argos agent` processes trusting the farm's CA) against an Argos config of N sites × 3
//! checks, and prints one table: see README.md, "Figures", for what each line means.
//!
//! It lives in the test kit because the farm is a test helper other tests can use (a
//! scale-out test needs sites too), and because it drives Argos only from outside (its CLI,
//! its config format and its database's results), so the server's internals can change
//! under it.

mod argos;
mod argos_config;
mod args;
mod ceiling;
mod db;
mod figures;
mod procs;
mod sampler;
mod scenario;
mod stats;
mod table;

use std::process::ExitCode;
use std::time::Instant;

use argos_testkit::farm::Farm;
use clap::Parser;
use indicatif::MultiProgress;

use args::{Args, Backend};
use scenario::{Bench, bar};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    // The ceiling's client offers the suites in the order the agents do.
    argos_checks::probe::crypto::install();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("argos-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let started = Instant::now();
    let argos = procs::find_argos(args.argos.as_deref())?;
    let backends = usable_backends(&args);
    let work = tempfile::Builder::new().prefix("argos-bench-").tempdir()?;
    let bars = MultiProgress::new();
    let b = bar(&bars, "farm", args.sites as u64, "certificates issued");
    let progress = b.clone();
    let farm = Farm::start(args.sites, args.farm_port, move |i| {
        progress.set_position(i as u64)
    })
    .await?;
    b.finish_and_clear();
    let ca_file = work.path().join("farm-ca.pem");
    std::fs::write(&ca_file, farm.ca_pem())?;
    println!("{}", header(&args, &argos, &farm).await);
    let bench = Bench {
        args: &args,
        argos: &argos,
        farm: &farm,
        ca_file: &ca_file,
        bars: &bars,
    };
    let mut rows = Vec::new();
    for &backend in &backends {
        for &agents in &args.agents {
            let dir = work
                .path()
                .join(format!("{backend:?}-{agents}").to_lowercase());
            match bench.run(backend, agents.max(1), &dir).await {
                Ok(row) => {
                    bars.println(format!("{}: done", row.label))?;
                    rows.push(row);
                }
                Err(e) => bars.println(format!("{backend:?} × {agents}: FAILED: {e}"))?,
            }
        }
    }
    println!("\n{}", table::render(&rows));
    for path in rows.iter().flat_map(|r| &r.profiles) {
        println!(
            "\nprofile {}:\n{}",
            path.display(),
            argos::top_symbols(path, 15)
        );
    }
    println!("bench time: {:.0} s", started.elapsed().as_secs_f64());
    if args.keep || args.perf {
        println!("work directory kept: {}", work.keep().display());
    }
    Ok(())
}

fn usable_backends(args: &Args) -> Vec<Backend> {
    let has_pg = args.database_url.as_deref().is_some_and(|u| !u.is_empty());
    args.backends
        .iter()
        .copied()
        .filter(|b| {
            let ok = *b != Backend::Postgres || has_pg;
            if !ok {
                eprintln!("PostgreSQL skipped: set DATABASE_URL (an admin URL) to include it");
            }
            ok
        })
        .collect()
}

/// What was measured, where: so that a table pasted in a note says what it is.
async fn header(args: &Args, argos: &std::path::Path, farm: &Farm) -> String {
    let version = tokio::process::Command::new(argos)
        .arg("version")
        .output()
        .await;
    let version = version.map_or_else(
        |e| e.to_string(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    );
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("?", |m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "argos-bench: {} sites × 3 checks ({} requests a round) on 127.1.x.y:{}; {version} ({})\n\
         agents: --max-tasks {} --wait-time {}; steady state: {} min{}; machine: {cores} × {model}; load average {}",
        farm.sites(),
        2 * farm.sites(),
        farm.port(),
        argos.display(),
        args.max_tasks,
        args.wait_time,
        args.steady_minutes,
        if args.cold_only {
            " (skipped: --cold-only)"
        } else {
            ""
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

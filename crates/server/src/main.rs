//! `argos`: the server, its admin commands, and the agent.

use std::io::IsTerminal;
use std::process::ExitCode;

use argos_server::cli::Cli;
use clap::Parser;

fn main() -> ExitCode {
    // Before any thread starts: a thread keeps the malloc arena it first gets.
    argos_heap::limit_arenas_per_two_cores();
    argos_checks::probe::crypto::install();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let filter = argos_agent::args::log_filter(&cli.log_level);
    match tracing_subscriber::EnvFilter::try_new(&filter) {
        Ok(f) => tracing_subscriber::fmt()
            .with_env_filter(f)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init(),
        Err(e) => {
            eprintln!("invalid --log-level {:?}: {e}", cli.log_level);
            return ExitCode::from(2);
        }
    }
    match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

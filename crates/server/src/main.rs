//! `argos`: the server, its admin commands, and the agent.

use std::io::IsTerminal;
use std::process::ExitCode;

use argos_server::cli::Cli;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
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

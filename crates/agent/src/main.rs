//! `argos-agent`: the agent alone, for remote hosts. It links no database and no web stack.
//! `argos-agent SERVER_URL TOKEN [options]` is the same as `argos agent SERVER_URL TOKEN`.

use std::io::IsTerminal;

use argos_agent::args::AgentArgs;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "argos-agent", version, about = "Argos monitoring agent")]
struct Cli {
    #[command(flatten)]
    agent: AgentArgs,
    /// Log level: error, warn, info, debug or trace (case-insensitive).
    #[arg(long, default_value = "info", global = true)]
    log_level: String,
}

fn main() -> anyhow::Result<()> {
    // Before any thread starts: a thread keeps the malloc arena it first gets.
    argos_heap::limit_arenas_per_two_cores();
    argos_checks::probe::crypto::install();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_new(argos_agent::args::log_filter(&cli.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    cli.agent.run().await
}

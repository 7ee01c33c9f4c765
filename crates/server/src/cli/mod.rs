//! The `argos` command line: the verbs of Argos Panoptès (§7) with the same names and options,
//! plus `check-config`. `main` only parses and calls [`Cli::run`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use argos_agent::args::AgentArgs;
use clap::{Parser, Subcommand};

mod agent_token;
mod test_alert;
mod user;

use test_alert::FakeAlert;

use crate::app::{self, App, ServeOptions};
use crate::config::{self, Config, LoadOptions};
use crate::plan::plan;
use crate::store::SeverityCounts;

/// The commented example printed by `argos server generate-config`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../../examples/config-example.yaml");

/// `argos`.
#[derive(Debug, Parser)]
#[command(
    name = "argos",
    version,
    about = "Argos: website monitoring (server and agent)"
)]
pub struct Cli {
    /// Log level: DEBUG, INFO, WARNING, ERROR, CRITICAL (any case) or a tracing filter.
    #[arg(long, default_value = "info", global = true, env = "ARGOS_LOG_LEVEL")]
    pub log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version.
    Version,
    /// Run an agent against a server.
    Agent(AgentArgs),
    /// Server commands.
    #[command(subcommand)]
    Server(ServerCommand),
}

#[derive(Debug, clap::Args)]
struct ConfigArg {
    /// Config file (default: $ARGOS_YAML_FILE, ./argos-config.yaml, /etc/argos/config.yaml).
    /// Global so that `argos server user add --config F` works as in Argos Panoptès.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Treat unknown config keys as errors, not warnings.
    #[arg(long, global = true)]
    strict: bool,
}

#[derive(Debug, Subcommand)]
enum ServerCommand {
    /// Start the server (migrates the database and applies the config's tasks first).
    Start {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        #[command(flatten)]
        config: ConfigArg,
        /// Do not run the embedded agent (use remote agents only).
        #[arg(long)]
        no_embedded_agent: bool,
        /// Do not send alerts from this process (another server process on the same
        /// PostgreSQL sends them).
        #[arg(long)]
        no_notifier: bool,
        /// Accepted for compatibility with the Python tool; has no effect.
        #[arg(long, hide = true)]
        reload: bool,
    },
    /// Create or upgrade the database schema.
    Migrate {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Apply the config's websites to the database now (send SIGHUP to a running server to
    /// reload its whole config).
    ReloadConfig {
        #[command(flatten)]
        config: ConfigArg,
        /// Accepted for compatibility: the reload is always applied at once.
        #[arg(long)]
        enqueue: bool,
    },
    /// Validate the config: print every problem, or a one-line summary.
    CheckConfig {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Nagios/Icinga plugin: one status line with perfdata, exit 0 OK, 1 WARNING, 2 CRITICAL,
    /// 3 UNKNOWN (counts are tasks, as in Argos Panoptès).
    Nagios {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Send a test alert by mail (general.mail).
    TestMail {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        alert: FakeAlert,
    },
    /// Send a test alert to Gotify (general.gotify).
    TestGotify {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        alert: FakeAlert,
    },
    /// Send a test alert to an Apprise group (general.apprise).
    TestApprise {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        alert: FakeAlert,
        /// The group, as named in general.apprise.
        #[arg(long)]
        apprise_group: String,
    },
    /// Send a test alert through any channel: local, mail, gotify, apprise:GROUP,
    /// ntfy:NAME, webhook:NAME, matrix:NAME or slack:NAME.
    TestAlert {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        alert: FakeAlert,
        /// The channel, as written in general.alerts.
        #[arg(long)]
        channel: String,
    },
    /// Manage the users who can log in.
    User {
        #[command(flatten)]
        config: ConfigArg,
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Manage per-agent tokens (each bound to one agent's name), beside `service.secrets`.
    AgentToken {
        #[command(flatten)]
        config: ConfigArg,
        #[command(subcommand)]
        command: agent_token::AgentTokenCommand,
    },
    /// Print a new random agent token (for `service.secrets`).
    GenerateToken,
    /// Print a commented example config.
    GenerateConfig,
}

impl Cli {
    /// Runs the command.
    ///
    /// # Errors
    /// Whatever the command fails with; `main` prints the chain.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Version => println!("argos {}", env!("CARGO_PKG_VERSION")),
            Command::Agent(args) => args.run().await?,
            Command::Server(cmd) => return cmd.run().await,
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl ServerCommand {
    async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ServerCommand::Start {
                host,
                port,
                config,
                no_embedded_agent,
                no_notifier,
                ..
            } => {
                let cfg = load(&config)?;
                let opts = ServeOptions {
                    host,
                    port,
                    embedded_agent: !no_embedded_agent,
                    strict: config.strict,
                    notifier: !no_notifier,
                };
                let app = App::build(cfg, &opts).await?;
                app.run_until(argos_agent::args::shutdown_signal()).await?;
            }
            ServerCommand::Migrate { config } => {
                app::open_store(&load(&config)?).await?;
                println!("Database migrated.");
            }
            ServerCommand::ReloadConfig { config, .. } => {
                let cfg = load(&config)?;
                let store = app::open_store(&cfg).await?;
                let s = app::apply_config(&store, &cfg).await?;
                println!(
                    "{} task(s) added, {} updated, {} deleted, {} unchanged.",
                    s.added, s.updated, s.removed, s.unchanged
                );
            }
            ServerCommand::CheckConfig { config } => return Ok(check_config(&config)),
            ServerCommand::Nagios { config } => {
                let store = app::open_store(&load(&config)?).await?;
                let (line, code) = nagios(&store.severity_counts().await?);
                println!("{line}");
                return Ok(ExitCode::from(code));
            }
            ServerCommand::TestMail { config, alert } => {
                return Ok(alert.send(&load(&config)?, "mail").await);
            }
            ServerCommand::TestGotify { config, alert } => {
                return Ok(alert.send(&load(&config)?, "gotify").await);
            }
            ServerCommand::TestApprise {
                config,
                alert,
                apprise_group,
            } => {
                let recipient = test_alert::apprise(&apprise_group);
                return Ok(alert.send(&load(&config)?, &recipient).await);
            }
            ServerCommand::TestAlert {
                config,
                alert,
                channel,
            } => return Ok(alert.send(&load(&config)?, &channel).await),
            ServerCommand::User { config, command } => {
                let store = app::open_store(&load(&config)?).await?;
                return command.run(&store).await;
            }
            ServerCommand::AgentToken { config, command } => {
                let store = app::open_store(&load(&config)?).await?;
                return command.run(&store).await;
            }
            ServerCommand::GenerateToken => println!("{}", uuid::Uuid::new_v4()),
            ServerCommand::GenerateConfig => print!("{EXAMPLE_CONFIG}"),
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn resolve(arg: &ConfigArg) -> anyhow::Result<PathBuf> {
    config::resolve_path(arg.config.as_deref()).map_err(anyhow::Error::msg)
}

/// Loads and validates the config, printing its warnings.
fn load(arg: &ConfigArg) -> anyhow::Result<Config> {
    let path = resolve(arg)?;
    let cfg = config::load(&path, &LoadOptions { strict: arg.strict })
        .with_context(|| format!("invalid configuration {}", path.display()))?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}

fn check_config(arg: &ConfigArg) -> ExitCode {
    let path = match resolve(arg) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match config::load(&path, &LoadOptions { strict: arg.strict }) {
        Ok(cfg) => {
            for w in &cfg.warnings {
                eprintln!("{w}");
            }
            println!(
                "{}: OK — {}, {} tasks",
                show(&path),
                cfg.summary(),
                plan(&cfg).len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The plugin line and exit code for these counts. Unlike the reference, UNKNOWN alone exits
/// 3 (it exited 2) and the OK line carries its perfdata (it printed a literal `{stats}`).
pub fn nagios(c: &SeverityCounts) -> (String, u8) {
    let perf = format!(
        "ok={}; warning={}; critical={}; unknown={};",
        c.ok, c.warning, c.critical, c.unknown
    );
    let (text, code) = match (c.critical, c.unknown, c.warning) {
        (0, 0, 0) => ("OK — All sites are ok".to_owned(), 0),
        (0, 0, w) => (format!("WARNING — {w} sites are in warning state"), 1),
        (0, u, _) => (format!("UNKNOWN — {u} sites are in unknown state"), 3),
        (cr, 0, _) => (format!("CRITICAL — {cr} sites are in critical state"), 2),
        (cr, u, _) => (
            format!(
                "CRITICAL/UNKNOWN — {cr} sites are in critical state and {u} sites are in unknown state"
            ),
            2,
        ),
    };
    (format!("{text}|{perf}"), code)
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(ok: i64, warning: i64, critical: i64, unknown: i64) -> SeverityCounts {
        SeverityCounts {
            ok,
            warning,
            critical,
            unknown,
        }
    }

    #[test]
    fn nagios_lines_and_exit_codes() {
        let cases = [
            (
                counts(5, 0, 0, 0),
                "OK — All sites are ok|ok=5; warning=0; critical=0; unknown=0;",
                0,
            ),
            (
                counts(5, 2, 0, 0),
                "WARNING — 2 sites are in warning state|ok=5; warning=2; critical=0; unknown=0;",
                1,
            ),
            (
                counts(5, 2, 0, 1),
                "UNKNOWN — 1 sites are in unknown state|ok=5; warning=2; critical=0; unknown=1;",
                3,
            ),
            (
                counts(5, 2, 3, 0),
                "CRITICAL — 3 sites are in critical state|ok=5; warning=2; critical=3; unknown=0;",
                2,
            ),
            (
                counts(5, 0, 3, 1),
                "CRITICAL/UNKNOWN — 3 sites are in critical state and 1 sites are in unknown state|ok=5; warning=0; critical=3; unknown=1;",
                2,
            ),
        ];
        for (c, line, code) in cases {
            assert_eq!(nagios(&c), (line.to_owned(), code), "{c:?}");
        }
    }
}

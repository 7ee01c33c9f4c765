//! `argos server agent-token add|list|revoke`: per-agent tokens, beside the shared
//! `service.secrets`. A token is printed once, when it is added, and stored only as its hash
//! (see [`crate::auth::agent_token`]); a request with it is the agent it is bound to. Exit
//! codes as the user commands: 0 done, 1 no such token, a taken or invalid name, or nothing
//! to list.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::auth::agent_token;
use crate::store::Store;

/// The agent token commands.
#[derive(Debug, Subcommand)]
pub enum AgentTokenCommand {
    /// Add a token for the agent NAME and print it (only this once).
    Add {
        /// The agent's name: it must run with `--name NAME` (or no agent id at all).
        #[arg(long)]
        name: String,
    },
    /// List the agents that have a token.
    List,
    /// Revoke the token of the agent NAME (its next request is refused).
    Revoke {
        /// The agent's name.
        #[arg(long)]
        name: String,
    },
}

fn fail(message: String) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}

impl AgentTokenCommand {
    /// Runs the command on `store`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn run(self, store: &Store) -> anyhow::Result<ExitCode> {
        Ok(match self {
            AgentTokenCommand::Add { name } => add(store, &name).await?,
            AgentTokenCommand::List => list(store).await?,
            AgentTokenCommand::Revoke { name } => {
                if !store.revoke_agent_token(&name).await? {
                    return Ok(fail(format!("Agent token {name} does not exist.")));
                }
                println!("Agent token {name} revoked.");
                ExitCode::SUCCESS
            }
        })
    }
}

async fn add(store: &Store, name: &str) -> anyhow::Result<ExitCode> {
    if !agent_token::is_valid_name(name) {
        return Ok(fail(format!(
            "Invalid agent name {name:?}: 1 to 100 letters, digits, '.', '_', '-' or ':'."
        )));
    }
    let token = agent_token::generate();
    if !store
        .add_agent_token(name, &agent_token::hash(&token), Utc::now())
        .await?
    {
        return Ok(fail(format!("Agent token {name} already exists.")));
    }
    // The token alone on stdout, so that a script can capture it; the rest on stderr.
    println!("{token}");
    eprintln!(
        "Agent token {name} added. It is shown only this once: run the agent as \
         `argos agent SERVER_URL TOKEN --name {name}`."
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(store: &Store) -> anyhow::Result<ExitCode> {
    let tokens = store.agent_tokens().await?;
    if tokens.is_empty() {
        return Ok(fail("There is no agent token in the database.".to_owned()));
    }
    for t in tokens {
        println!(
            "{}, added: {}, last seen: {}",
            t.name,
            time(Some(t.created_at)),
            time(t.last_seen)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

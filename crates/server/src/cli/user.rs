//! `argos server user add|change-password|verify-password|disable|enable|delete|show`, with
//! the flags, messages and exit codes of Argos Panoptès (§7). A password not given with
//! `--password` is asked for without echo on a terminal (twice when it is being set), or
//! read as one line from standard input otherwise (for scripts).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;

use crate::auth::password;
use crate::store::Store;

/// The user commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// User name (asked for when absent).
        #[arg(long)]
        name: Option<String>,
        /// Password (asked for, hidden, when absent).
        #[arg(long)]
        password: Option<String>,
    },
    /// Change a user's password (ends their sessions).
    ChangePassword {
        /// User name (asked for when absent).
        #[arg(long)]
        name: Option<String>,
        /// New password (asked for, hidden, when absent).
        #[arg(long)]
        password: Option<String>,
    },
    /// Check a user's password: exit 0 if right, 2 if wrong, 1 if no such user.
    VerifyPassword {
        /// User name.
        #[arg(long)]
        name: String,
        /// Password (asked for, hidden, when absent).
        #[arg(long)]
        password: Option<String>,
    },
    /// Disable a user (they cannot log in; their sessions end).
    Disable {
        /// User name.
        #[arg(long)]
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// User name.
        #[arg(long)]
        name: String,
    },
    /// Delete a user.
    Delete {
        /// User name.
        #[arg(long)]
        name: String,
    },
    /// List the users.
    Show,
}

fn fail(code: u8, message: String) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(code)
}

impl UserCommand {
    /// Runs the command on `store`.
    ///
    /// # Errors
    /// Store errors, or no password could be read.
    pub async fn run(self, store: &Store) -> anyhow::Result<ExitCode> {
        let now = Utc::now();
        Ok(match self {
            UserCommand::Add { name, password } => {
                let name = given_or_asked(name, "User name: ")?;
                if store.user(&name).await?.is_some() {
                    return Ok(fail(1, format!("User {name} already exists.")));
                }
                let hash = password::hash(new_password(password)?).await?;
                if !store.create_user(&name, &hash, now).await? {
                    return Ok(fail(1, format!("User {name} already exists.")));
                }
                println!("User {name} added.");
                ExitCode::SUCCESS
            }
            UserCommand::ChangePassword { name, password } => {
                let name = given_or_asked(name, "User name: ")?;
                if store.user(&name).await?.is_none() {
                    return Ok(fail(1, format!("User {name} does not exist.")));
                }
                let hash = password::hash(new_password(password)?).await?;
                if !store.set_password(&name, &hash, now).await? {
                    return Ok(fail(1, format!("User {name} does not exist.")));
                }
                println!("Password of user {name} changed.");
                ExitCode::SUCCESS
            }
            UserCommand::VerifyPassword { name, password } => {
                verify(store, &name, password).await?
            }
            UserCommand::Disable { name } => toggle(store, &name, true).await?,
            UserCommand::Enable { name } => toggle(store, &name, false).await?,
            UserCommand::Delete { name } => {
                if !store.delete_user(&name).await? {
                    return Ok(fail(1, format!("User {name} does not exist.")));
                }
                println!("User {name} deleted.");
                ExitCode::SUCCESS
            }
            UserCommand::Show => show(store).await?,
        })
    }
}

async fn verify(store: &Store, name: &str, given: Option<String>) -> anyhow::Result<ExitCode> {
    let Some(user) = store.user(name).await? else {
        return Ok(fail(1, format!("User {name} does not exist.")));
    };
    let pw = match given {
        Some(p) => p,
        None => read_secret("Password: ")?,
    };
    if password::verify(pw, Some(user.password)).await {
        println!("The provided password is correct.");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(fail(2, "Wrong password!".to_owned()))
    }
}

async fn toggle(store: &Store, name: &str, disable: bool) -> anyhow::Result<ExitCode> {
    let Some(user) = store.user(name).await? else {
        return Ok(fail(1, format!("User {name} does not exist.")));
    };
    let state = if disable { "disabled" } else { "enabled" };
    if user.disabled == disable || !store.set_disabled(name, disable, Utc::now()).await? {
        return Ok(fail(2, format!("User {name} is already {state}.")));
    }
    println!("User {name} {state}.");
    Ok(ExitCode::SUCCESS)
}

async fn show(store: &Store) -> anyhow::Result<ExitCode> {
    let users = store.users().await?;
    if users.is_empty() {
        return Ok(fail(1, "There is no user in the database.".to_owned()));
    }
    println!("✅ means that the user is enabled.\n❌ means that the user is disabled.");
    for u in users {
        let icon = if u.disabled { "❌" } else { "✅" };
        let last = u.last_login_at.map_or_else(
            || "None".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        println!("{icon} {}, last login: {last}", u.username);
    }
    Ok(ExitCode::SUCCESS)
}

fn given_or_asked(given: Option<String>, prompt: &str) -> anyhow::Result<String> {
    match given {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => {
            let v = read_line(prompt)?;
            anyhow::ensure!(!v.trim().is_empty(), "a user name is needed");
            Ok(v.trim().to_owned())
        }
    }
}

/// A new password: given, or asked twice (hidden) on a terminal, or one line of stdin.
fn new_password(given: Option<String>) -> anyhow::Result<String> {
    let pw = match given {
        Some(p) => p,
        None if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("Password: ")?;
            let again = rpassword::prompt_password("Repeat for confirmation: ")?;
            anyhow::ensure!(first == again, "the two passwords differ");
            first
        }
        None => read_line("")?,
    };
    anyhow::ensure!(!pw.is_empty(), "an empty password is refused");
    Ok(pw)
}

fn read_secret(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        Ok(rpassword::prompt_password(prompt)?)
    } else {
        read_line("")
    }
}

fn read_line(prompt: &str) -> anyhow::Result<String> {
    if !prompt.is_empty() {
        eprint!("{prompt}");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

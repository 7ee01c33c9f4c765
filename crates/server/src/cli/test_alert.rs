//! `argos server test-mail|test-gotify|test-apprise|test-alert`: send a made-up alert through
//! one channel right now, to check its settings (reference §6.6). Not through the outbox: the
//! operator wants to see the channel's own error, at once, and nothing is recorded.

use std::process::ExitCode;

use argos_checks::{IpVersion, Severity};
use chrono::Utc;

use crate::config::{Config, Recipient};
use crate::notify::{Channels, Ctx, Notice};
use crate::store::{AlertKind, AlertRecord};

/// What the test alert is about.
#[derive(Debug, Clone, clap::Args)]
pub struct FakeAlert {
    /// The domain the made-up alert is about.
    #[arg(long, default_value = "example.org")]
    pub domain: String,
    /// Its severity: ok, warning, critical or unknown (any case).
    #[arg(long, default_value = "CRITICAL")]
    pub severity: String,
}

impl FakeAlert {
    /// Sends it to `recipient` (`mail`, `apprise:team`, ...) as `cfg` configures it. Prints
    /// what happened; exit 1 when the channel is not configured or sending failed.
    pub async fn send(&self, cfg: &Config, recipient: &str) -> ExitCode {
        let Some(severity) = Severity::parse(&self.severity.to_lowercase()) else {
            eprintln!(
                "unknown severity {:?} (use ok, warning, critical or unknown)",
                self.severity
            );
            return ExitCode::from(2);
        };
        let channels = Channels::from_general(&cfg.general);
        let Some(channel) = channels.get(recipient) else {
            let known: Vec<&str> = channels.names().collect();
            eprintln!(
                "{recipient} is not configured, cannot test (configured channels: {})",
                known.join(", ")
            );
            return ExitCode::FAILURE;
        };
        let ctx = match Ctx::new() {
            Ok(ctx) => ctx,
            Err(e) => {
                eprintln!("cannot build the HTTP client: {e}");
                return ExitCode::FAILURE;
            }
        };
        let alert = self.alert(severity);
        let notice = Notice::for_alerts(&[&alert], cfg.general.public_url.as_ref());
        match channel.send(&ctx, &notice, &[]).await {
            Ok(()) => {
                println!("Test alert sent to {recipient}.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Sending the test alert to {recipient} failed: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// A `body-contains` alert on `https://<domain>/` over IPv4, as the reference made up.
    fn alert(&self, severity: Severity) -> AlertRecord {
        let now = Utc::now();
        AlertRecord {
            id: 0,
            created_at: now,
            kind: AlertKind::Change,
            task_id: None,
            result_id: None,
            netloc: Some(self.domain.clone()),
            url: Some(format!("https://{}/", self.domain)),
            check: Some("body-contains".into()),
            ip_version: Some(IpVersion::V4),
            previous: Some(if severity == Severity::Ok {
                Severity::Critical
            } else {
                Severity::Ok
            }),
            severity,
            since: now,
            detail: Some("This is a test alert sent by `argos server test-alert`.".into()),
        }
    }
}

/// The recipient name of `test-apprise --apprise-group G`.
pub fn apprise(group: &str) -> String {
    Recipient::Apprise(group.to_owned()).to_string()
}

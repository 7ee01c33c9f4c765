//! Notification channels: where alerts go, and how each channel says them.
//!
//! A channel is one file: its config (read from `general` with file/line problems), a pure
//! `render` of a [`Notice`] into what it sends, and a thin `send`. Channels are named as in
//! `general.alerts` (`local`, `mail`, `gotify`, `apprise:<group>`, `ntfy:<name>`,
//! `webhook:<name>`, `matrix:<name>`, `slack:<name>`); the [`Channels`] registry maps those names
//! to configured channels. Retrying, grouping and recording outcomes happen in one place,
//! the [`notifier`], never in a channel.
//!
//! To add a channel: a file here with its config, `read`, `render` and `send`; a variant
//! of [`Channel`] and its arms; a recipient prefix in `config::alerts`; a `general` key.

pub mod apprise;
pub mod gotify;
mod http;
pub mod local;
pub mod mail;
pub mod matrix;
mod notice;
pub mod notifier;
pub mod ntfy;
pub mod slack;
pub mod webhook;

use std::collections::BTreeMap;
use std::time::Duration;

pub use http::HttpPost;
pub use notice::{Item, Notice, NoticeKind};

use crate::config::{General, Recipient};

/// Longest time one send may take before it counts as failed (and is retried later).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// One configured destination.
#[derive(Debug, Clone)]
pub enum Channel {
    /// A line in the server log.
    Local,
    /// E-mail through SMTP.
    Mail(mail::Mail),
    /// Every server × token of `general.gotify`.
    Gotify(Vec<gotify::Gotify>),
    /// One `general.apprise` group.
    Apprise(apprise::Apprise),
    /// One `general.ntfy` topic.
    Ntfy(ntfy::Ntfy),
    /// One `general.webhooks` endpoint.
    Webhook(webhook::Webhook),
    /// One `general.matrix` room.
    Matrix(matrix::Matrix),
    /// One Slack-compatible incoming webhook (Slack, Mattermost, Discord, Rocket.Chat).
    Slack(slack::Slack),
}

/// What a channel needs to send: shared clients, built once.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// For the HTTP channels (rustls, [`SEND_TIMEOUT`], no redirects).
    pub http: reqwest::Client,
}

impl Ctx {
    /// The shared clients.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new() -> Result<Ctx, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Argos/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Ctx { http })
    }
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What went wrong, for the alerts page and the log (never a secret).
    pub message: String,
    /// Targets of a multi-target channel that did receive it (not to be sent again).
    pub done: Vec<String>,
    /// Retrying cannot help (a 4xx from the receiver, a refused address): give up at once.
    pub permanent: bool,
}

impl SendError {
    /// A failure worth retrying.
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError {
            message: message.into(),
            done: Vec::new(),
            permanent: false,
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            permanent: true,
            ..SendError::transient(message)
        }
    }
}

impl Channel {
    /// Sends `notice`, skipping the targets in `done` (served by an earlier attempt).
    ///
    /// # Errors
    /// Whatever the channel reports; the notifier decides what happens next.
    pub async fn send(&self, ctx: &Ctx, notice: &Notice, done: &[String]) -> Result<(), SendError> {
        let sending = async {
            match self {
                Channel::Local => {
                    local::send(notice);
                    Ok(())
                }
                Channel::Mail(c) => c.send(notice).await,
                Channel::Gotify(servers) => gotify::send(servers, ctx, notice, done).await,
                Channel::Apprise(c) => c.send(ctx, notice).await,
                Channel::Ntfy(c) => c.render(notice).send(ctx).await,
                Channel::Webhook(c) => c.render(notice).send(ctx).await,
                Channel::Matrix(c) => c.render(notice).send(ctx).await,
                Channel::Slack(c) => c.render(notice).send(ctx).await,
            }
        };
        // Mail and Apprise talk to other processes with their own timeouts; this bounds all.
        match tokio::time::timeout(SEND_TIMEOUT + Duration::from_secs(5), sending).await {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::transient(format!(
                "no answer within {}s",
                SEND_TIMEOUT.as_secs() + 5
            ))),
        }
    }
}

/// Every configured channel by its recipient name.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    by_name: BTreeMap<String, Channel>,
}

impl Channels {
    /// The channels `general` configures (`local` always exists).
    pub fn from_general(g: &General) -> Channels {
        let mut by_name = BTreeMap::new();
        by_name.insert(Recipient::Local.to_string(), Channel::Local);
        if let Some(mail) = &g.mail {
            by_name.insert(Recipient::Mail.to_string(), Channel::Mail(mail.clone()));
        }
        if !g.gotify.is_empty() {
            by_name.insert(
                Recipient::Gotify.to_string(),
                Channel::Gotify(g.gotify.clone()),
            );
        }
        for (group, urls) in &g.apprise {
            let channel = apprise::Apprise::new(urls.clone(), g.apprise_api_url.clone());
            by_name.insert(
                Recipient::Apprise(group.clone()).to_string(),
                Channel::Apprise(channel),
            );
        }
        let named = [
            named(&g.ntfy, Recipient::Ntfy, Channel::Ntfy),
            named(&g.webhooks, Recipient::Webhook, Channel::Webhook),
            named(&g.matrix, Recipient::Matrix, Channel::Matrix),
            named(&g.slack, Recipient::Slack, Channel::Slack),
        ];
        by_name.extend(named.into_iter().flatten());
        Channels { by_name }
    }

    /// The channel called `name` (`mail`, `apprise:team`, ...).
    pub fn get(&self, name: &str) -> Option<&Channel> {
        self.by_name.get(name)
    }

    /// Every channel name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

fn named<T: Clone>(
    items: &BTreeMap<String, T>,
    recipient: fn(String) -> Recipient,
    channel: fn(T) -> Channel,
) -> Vec<(String, Channel)> {
    items
        .iter()
        .map(|(name, c)| (recipient(name.clone()).to_string(), channel(c.clone())))
        .collect()
}

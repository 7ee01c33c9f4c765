//! The `general` section (reference §1.4): database, sessions, default check timing,
//! notification channels and routing.

use std::collections::BTreeMap;
use std::time::Duration;

use super::alerts::{self, Alerts, Channels};
use super::channels::{self, http_url, named};
use super::db::{Db, read_db, warn_tmp_database};
use super::ldap::{Ldap, read_ldap};
use super::problem::Problems;
use super::reader::{self, Section};
use super::rollups::{self, Rollups};
use super::yaml::Node;
use crate::notify::{gotify, mail, matrix, ntfy, slack, webhook};
use crate::notify::{
    gotify::Gotify, mail::Mail, matrix::Matrix, ntfy::Ntfy, slack::Slack, webhook::Webhook,
};

/// Default lifetime of a login session (reference: 7 days).
pub const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(7 * 86_400);
const EXAMPLE_COOKIE_SECRET: &str = "foo_bar_baz";
/// Default of `general.alert_storm_threshold`: more domains than this changing in one pass
/// of the notifier get one summary message per channel instead of one message each.
pub const DEFAULT_ALERT_STORM_THRESHOLD: u32 = 10;

const KEYS: &[&str] = &[
    "db",
    "env",
    "cookie_secret",
    "session_duration",
    "remember_me_duration",
    "unauthenticated_access",
    "ldap",
    "frequency",
    "recheck_delay",
    "retry_before_notification",
    "ipv4",
    "ipv6",
    "root_path",
    "alerts",
    "mail",
    "gotify",
    "apprise",
    "embedded_agent",
    "public_url",
    "recovery_threshold",
    "reminder_interval",
    "alert_storm_threshold",
    "apprise_api_url",
    "ntfy",
    "webhooks",
    "matrix",
    "slack",
    "rollups",
];

/// Validated `general` section.
#[derive(Debug, Clone, PartialEq)]
pub struct General {
    /// `general.db`.
    pub db: Db,
    /// `general.env` (default production).
    pub env: Env,
    /// Secret signing the session tokens.
    pub cookie_secret: String,
    /// Lifetime of a login session (default 7 days).
    pub session_duration: Duration,
    /// Lifetime of a "remember me" session; `None`: the login page offers no such box.
    pub remember_me_duration: Option<Duration>,
    /// What is public; `None`: everything needs a login.
    pub unauthenticated_access: Option<UnauthenticatedAccess>,
    /// Check logins against LDAP instead of the users table.
    pub ldap: Option<Ldap>,
    /// Default check period.
    pub frequency: Duration,
    /// Default delay of the one early re-check after a non-ok result.
    pub recheck_delay: Option<Duration>,
    /// Extra consecutive failures needed before notifying (default 0).
    pub retry_before_notification: u32,
    /// Default for websites: check over IPv4 (default true).
    pub ipv4: bool,
    /// Default for websites: check over IPv6 (default true).
    pub ipv6: bool,
    /// URL prefix behind a reverse proxy, without trailing `/` ("" when served at the root).
    pub root_path: String,
    /// Which channels get which alerts.
    pub alerts: Alerts,
    /// SMTP settings, needed by the `mail` recipient.
    pub mail: Option<Mail>,
    /// Gotify servers, needed by the `gotify` recipient.
    pub gotify: Vec<Gotify>,
    /// Apprise group name → Apprise URLs.
    pub apprise: BTreeMap<String, Vec<String>>,
    /// Our extension `general.embedded_agent` (default true): run an agent inside the server.
    pub embedded_agent: bool,
    /// (Argos Rust) The URL people open Argos at (root_path included): links in alerts.
    /// `None`: messages carry no links (never the agent's Host header, as the reference did).
    pub public_url: Option<url::Url>,
    /// (Argos Rust) Consecutive ok results confirming a recovery (default 1).
    pub recovery_threshold: u32,
    /// (Argos Rust) Remind every so often while a task stays not ok (default: never).
    pub reminder_interval: Option<Duration>,
    /// (Argos Rust) Domains changing in one notifier pass above which each channel gets one
    /// summary message.
    pub alert_storm_threshold: u32,
    /// (Argos Rust) An Apprise API server to send Apprise groups through, instead of the
    /// `apprise` command-line tool.
    pub apprise_api_url: Option<url::Url>,
    /// (Argos Rust) ntfy topics by name (`ntfy:<name>`).
    pub ntfy: BTreeMap<String, Ntfy>,
    /// (Argos Rust) JSON webhooks by name (`webhook:<name>`).
    pub webhooks: BTreeMap<String, Webhook>,
    /// (Argos Rust) Matrix rooms by name (`matrix:<name>`).
    pub matrix: BTreeMap<String, Matrix>,
    /// (Argos Rust) Slack-compatible incoming webhooks by name (`slack:<name>`).
    pub slack: BTreeMap<String, Slack>,
    /// (Argos Rust) How long the hourly and daily roll-ups are kept.
    pub rollups: Rollups,
}

/// `general.env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// Development.
    Dev,
    /// Tests.
    Test,
    /// Production (the default).
    Production,
}

/// `general.unauthenticated_access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthenticatedAccess {
    /// Only the dashboard is public.
    Dashboard,
    /// No login at all.
    All,
}

/// Reads `general`, and says which notification channels exist so that websites'
/// recipients can be checked against them. Placeholders stand in for invalid values
/// (already reported).
pub(crate) fn read(node: Option<&Node>, p: &mut Problems) -> (General, Channels) {
    let sec = Section::open(node, "general", KEYS, p);
    let db = sec.required("db", p).map(|n| read_db(n, p));
    let env = sec.opt("env", p, env).unwrap_or(Env::Production);
    if let Some(db) = &db {
        warn_tmp_database(&sec, db, env, p);
    }
    let cookie_secret = cookie_secret(&sec, p);
    let routing = read_routing(&sec, p);
    let general = General {
        db: db.unwrap_or_else(|| Db {
            url: String::new(),
            pool_size: 0,
            max_overflow: 0,
        }),
        env,
        cookie_secret,
        session_duration: sec
            .opt("session_duration", p, reader::session)
            .unwrap_or(DEFAULT_SESSION_DURATION),
        remember_me_duration: sec.opt("remember_me_duration", p, reader::session),
        unauthenticated_access: sec.opt("unauthenticated_access", p, unauthenticated),
        ldap: sec.get("ldap").map(|n| read_ldap(n, &sec.path("ldap"), p)),
        frequency: sec
            .req("frequency", p, reader::period)
            .unwrap_or(Duration::from_secs(300)),
        recheck_delay: sec.opt("recheck_delay", p, reader::period),
        retry_before_notification: sec
            .opt("retry_before_notification", p, retries)
            .unwrap_or(0),
        ipv4: sec.opt("ipv4", p, reader::boolean).unwrap_or(true),
        ipv6: sec.opt("ipv6", p, reader::boolean).unwrap_or(true),
        root_path: sec.opt("root_path", p, root_path).unwrap_or_default(),
        alerts: routing.alerts,
        mail: routing.mail,
        gotify: routing.gotify.unwrap_or_default(),
        apprise: routing.apprise.unwrap_or_default(),
        embedded_agent: sec
            .opt("embedded_agent", p, reader::boolean)
            .unwrap_or(true),
        public_url: sec.opt("public_url", p, http_url),
        recovery_threshold: sec.opt("recovery_threshold", p, threshold).unwrap_or(1),
        reminder_interval: sec.opt("reminder_interval", p, reader::period),
        alert_storm_threshold: sec
            .opt("alert_storm_threshold", p, at_least_one)
            .unwrap_or(DEFAULT_ALERT_STORM_THRESHOLD),
        apprise_api_url: sec.opt("apprise_api_url", p, http_url),
        ntfy: routing.ntfy,
        webhooks: routing.webhooks,
        matrix: routing.matrix,
        slack: routing.slack,
        rollups: rollups::read(sec.get("rollups"), &sec.path("rollups"), p),
    };
    (general, routing.channels)
}

/// The channel sections and the alert routing, which is checked against them.
struct Routing {
    mail: Option<Mail>,
    gotify: Option<Vec<Gotify>>,
    apprise: Option<BTreeMap<String, Vec<String>>>,
    ntfy: BTreeMap<String, Ntfy>,
    webhooks: BTreeMap<String, Webhook>,
    matrix: BTreeMap<String, Matrix>,
    slack: BTreeMap<String, Slack>,
    alerts: Alerts,
    channels: Channels,
}

fn read_routing(sec: &Section<'_>, p: &mut Problems) -> Routing {
    let section = |key: &str| sec.get(key).map(|n| (n, sec.path(key)));
    let mail = section("mail").map(|(n, path)| mail::read(n, &path, p));
    let gotify = section("gotify").map(|(n, path)| gotify::read(n, &path, p));
    let apprise = section("apprise").map(|(n, path)| channels::read_apprise(n, &path, p));
    let ntfy = section("ntfy").map(|(n, path)| named(n, &path, p, ntfy::read));
    let webhooks = section("webhooks").map(|(n, path)| named(n, &path, p, webhook::read));
    let matrix = section("matrix").map(|(n, path)| named(n, &path, p, matrix::read));
    let slack = section("slack").map(|(n, path)| named(n, &path, p, slack::read));
    // Presence, not validity: a broken `mail` section is reported once, not again at every
    // `mail` recipient.
    let mut channels = Channels {
        mail: mail.is_some(),
        gotify: gotify.is_some(),
        ..Channels::default()
    };
    if let Some(groups) = &apprise {
        channels
            .named
            .insert("apprise", groups.keys().cloned().collect());
    }
    for (prefix, defined) in [
        ("ntfy", ntfy.as_ref().map(names)),
        ("webhook", webhooks.as_ref().map(names)),
        ("matrix", matrix.as_ref().map(names)),
        ("slack", slack.as_ref().map(names)),
    ] {
        if let Some(defined) = defined {
            channels.named.insert(prefix, defined);
        }
    }
    let alerts = match sec.required("alerts", p) {
        Some(n) => alerts::read_alerts(n, &sec.path("alerts"), &channels, p),
        None => Alerts::default(),
    };
    Routing {
        mail,
        gotify,
        apprise,
        ntfy: ntfy.unwrap_or_default(),
        webhooks: webhooks.unwrap_or_default(),
        matrix: matrix.unwrap_or_default(),
        slack: slack.unwrap_or_default(),
        alerts,
        channels,
    }
}

fn names<T>(m: &BTreeMap<String, T>) -> Vec<String> {
    m.keys().cloned().collect()
}

/// The most consecutive results `retry_before_notification` and `recovery_threshold` may ask
/// for (at a one-minute frequency, 16 hours): more is a typo, and the task tables store
/// these counts as 32-bit integers.
pub const MAX_RETRIES: u32 = 1_000;
/// The largest `alert_storm_threshold` (a number of domains).
pub const MAX_STORM_THRESHOLD: u32 = 1_000_000;

/// A whole number of at least 1, at most [`MAX_STORM_THRESHOLD`].
fn at_least_one(node: &Node, path: &str, p: &mut Problems) -> Option<u32> {
    let n = reader::count_up_to(node, path, MAX_STORM_THRESHOLD, p)?;
    if n == 0 {
        p.error(node, path, "must be at least 1");
        return None;
    }
    Some(n)
}

/// `retry_before_notification`: 0 to [`MAX_RETRIES`].
pub(crate) fn retries(node: &Node, path: &str, p: &mut Problems) -> Option<u32> {
    reader::count_up_to(node, path, MAX_RETRIES, p)
}

/// `recovery_threshold`: 1 to [`MAX_RETRIES`].
pub(crate) fn threshold(node: &Node, path: &str, p: &mut Problems) -> Option<u32> {
    let n = at_least_one(node, path, p)?;
    if n > MAX_RETRIES {
        p.error(
            node,
            path,
            format!("must be at most {MAX_RETRIES}, got {n}"),
        );
        return None;
    }
    Some(n)
}

fn env(node: &Node, path: &str, p: &mut Problems) -> Option<Env> {
    match reader::string(node, path, p)?.as_str() {
        "dev" => Some(Env::Dev),
        "test" => Some(Env::Test),
        "production" => Some(Env::Production),
        other => {
            p.error(
                node,
                path,
                format!("unknown env {other:?} (valid: dev, test, production)"),
            );
            None
        }
    }
}

fn unauthenticated(node: &Node, path: &str, p: &mut Problems) -> Option<UnauthenticatedAccess> {
    match reader::string(node, path, p)?.as_str() {
        "dashboard" => Some(UnauthenticatedAccess::Dashboard),
        "all" => Some(UnauthenticatedAccess::All),
        other => {
            p.error(
                node,
                path,
                format!("unknown value {other:?} (valid: dashboard, all)"),
            );
            None
        }
    }
}

fn cookie_secret(sec: &Section<'_>, p: &mut Problems) -> String {
    let secret = sec
        .req("cookie_secret", p, reader::non_empty)
        .unwrap_or_default();
    if let (true, Some(node)) = (secret == EXAMPLE_COOKIE_SECRET, sec.get("cookie_secret")) {
        let message = "this is the example's secret: anyone can forge a session \
                       (generate one with `openssl rand -hex 32`)";
        p.warn(node, &sec.path("cookie_secret"), message);
    }
    secret
}

/// Starts with `/`; the trailing `/` is dropped, as in the reference.
fn root_path(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let value = reader::string(node, path, p)?;
    if !value.is_empty() && !value.starts_with('/') {
        p.error(
            node,
            path,
            format!("must start with \"/\" (e.g. \"/{value}\")"),
        );
        return None;
    }
    Some(value.trim_end_matches('/').to_owned())
}

//! The `general` section (reference §1.4): database, sessions, default check timing,
//! notification channels and routing.

use std::collections::BTreeMap;
use std::time::Duration;

use super::alerts::{self, Alerts, Channels};
use super::channels::{self, Gotify, Mail};
use super::db::{Db, read_db, warn_tmp_database};
use super::problem::Problems;
use super::reader::{self, Section};
use super::yaml::Node;

/// Default lifetime of a login session (reference: 7 days).
pub const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(7 * 86_400);
const EXAMPLE_COOKIE_SECRET: &str = "foo_bar_baz";

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

/// `general.ldap`: check logins against an LDAP directory instead of the users table.
#[derive(Debug, Clone, PartialEq)]
pub struct Ldap {
    /// Server URI, e.g. `ldaps://ldap.example.org`.
    pub uri: String,
    /// Search base.
    pub user_tree: String,
    /// Service account used to search.
    pub bind_dn: Option<String>,
    /// Its password.
    pub bind_pwd: Option<String>,
    /// Login attribute (`uid`, `mail`, ...).
    pub user_attr: String,
    /// Extra filter ANDed to the user search; `None` adds nothing (the reference added "None").
    pub user_filter: Option<String>,
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
            .opt("session_duration", p, reader::duration)
            .unwrap_or(DEFAULT_SESSION_DURATION),
        remember_me_duration: sec.opt("remember_me_duration", p, reader::duration),
        unauthenticated_access: sec.opt("unauthenticated_access", p, unauthenticated),
        ldap: sec.get("ldap").map(|n| read_ldap(n, &sec.path("ldap"), p)),
        frequency: sec
            .req("frequency", p, reader::duration)
            .unwrap_or(Duration::from_secs(300)),
        recheck_delay: sec.opt("recheck_delay", p, reader::duration),
        retry_before_notification: sec
            .opt("retry_before_notification", p, reader::count)
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
    };
    (general, routing.channels)
}

/// The channel sections and the alert routing, which is checked against them.
struct Routing {
    mail: Option<Mail>,
    gotify: Option<Vec<Gotify>>,
    apprise: Option<BTreeMap<String, Vec<String>>>,
    alerts: Alerts,
    channels: Channels,
}

fn read_routing(sec: &Section<'_>, p: &mut Problems) -> Routing {
    let mail = sec
        .get("mail")
        .map(|n| channels::read_mail(n, &sec.path("mail"), p));
    let gotify = sec
        .get("gotify")
        .map(|n| channels::read_gotify(n, &sec.path("gotify"), p));
    let apprise = sec
        .get("apprise")
        .map(|n| channels::read_apprise(n, &sec.path("apprise"), p));
    // Presence, not validity: a broken `mail` section is reported once, not again at every
    // `mail` recipient.
    let channels = Channels {
        mail: mail.is_some(),
        gotify: gotify.is_some(),
        apprise: apprise.clone(),
    };
    let alerts = match sec.required("alerts", p) {
        Some(n) => alerts::read_alerts(n, &sec.path("alerts"), &channels, p),
        None => Alerts::default(),
    };
    Routing {
        mail,
        gotify,
        apprise,
        alerts,
        channels,
    }
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

fn read_ldap(node: &Node, path: &str, p: &mut Problems) -> Ldap {
    let keys = &[
        "uri",
        "user_tree",
        "bind_dn",
        "bind_pwd",
        "user_attr",
        "user_filter",
    ];
    let sec = Section::new(node, path, keys, p);
    Ldap {
        uri: sec.req("uri", p, reader::non_empty).unwrap_or_default(),
        user_tree: sec
            .req("user_tree", p, reader::non_empty)
            .unwrap_or_default(),
        bind_dn: sec.opt("bind_dn", p, reader::string),
        bind_pwd: sec.opt("bind_pwd", p, reader::string),
        user_attr: sec
            .req("user_attr", p, reader::non_empty)
            .unwrap_or_default(),
        user_filter: sec.opt("user_filter", p, reader::string),
    }
}

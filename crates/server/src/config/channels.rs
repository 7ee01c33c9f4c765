//! The notification channels: `general.mail` (SMTP), `general.gotify` and `general.apprise`.
//!
//! Only their settings are read here; sending is the notifier's job.

use std::collections::BTreeMap;

use super::problem::Problems;
use super::reader::{self, Section, index};
use super::yaml::{Node, Value};

/// `general.mail`: SMTP settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The sender address.
    pub mailfrom: String,
    /// SMTP server (default 127.0.0.1).
    pub host: String,
    /// SMTP port (default 25).
    pub port: u16,
    /// Implicit TLS (SMTPS).
    pub ssl: bool,
    /// Upgrade a plain connection with STARTTLS.
    pub starttls: bool,
    /// Login, when the server needs one.
    pub auth: Option<MailAuth>,
    /// The recipients.
    pub addresses: Vec<String>,
}

/// SMTP login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAuth {
    /// User name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// One Gotify server and the application tokens to post with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gotify {
    /// The server's base URL (http or https).
    pub url: url::Url,
    /// Application tokens; each alert is posted once per token.
    pub tokens: Vec<String>,
}

pub(crate) fn read_mail(node: &Node, path: &str, p: &mut Problems) -> Mail {
    let keys = &[
        "mailfrom",
        "host",
        "port",
        "ssl",
        "starttls",
        "auth",
        "addresses",
    ];
    let sec = Section::new(node, path, keys, p);
    let mail = Mail {
        mailfrom: sec.req("mailfrom", p, email).unwrap_or_default(),
        host: sec
            .opt("host", p, reader::non_empty)
            .unwrap_or_else(|| "127.0.0.1".into()),
        port: sec.opt("port", p, port).unwrap_or(25),
        ssl: sec.opt("ssl", p, reader::boolean).unwrap_or(false),
        starttls: sec.opt("starttls", p, reader::boolean).unwrap_or(false),
        auth: sec.get("auth").map(|n| read_auth(n, &sec.path("auth"), p)),
        addresses: sec.req("addresses", p, emails).unwrap_or_default(),
    };
    if let (true, true, Some(n)) = (mail.ssl, mail.starttls, sec.node()) {
        p.error(
            n,
            path,
            "ssl (implicit TLS) and starttls cannot both be true: choose one",
        );
    }
    mail
}

fn read_auth(node: &Node, path: &str, p: &mut Problems) -> MailAuth {
    let sec = Section::new(node, path, &["login", "password"], p);
    MailAuth {
        login: sec.req("login", p, reader::non_empty).unwrap_or_default(),
        password: sec.req("password", p, reader::string).unwrap_or_default(),
    }
}

fn port(node: &Node, path: &str, p: &mut Problems) -> Option<u16> {
    let n = reader::integer(node, path, p)?;
    match u16::try_from(n) {
        Ok(port) if port > 0 => Some(port),
        _ => {
            p.error(
                node,
                path,
                format!("a port is between 1 and 65535, got {n}"),
            );
            None
        }
    }
}

/// Deliberately loose (`local@domain.tld`, no spaces): the SMTP server is the real judge,
/// this only catches a value in the wrong field.
fn email(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let text = reader::string(node, path, p)?;
    let valid = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        p.error(node, path, format!("{text:?} is not an e-mail address"));
        return None;
    }
    Some(text)
}

fn emails(node: &Node, path: &str, p: &mut Problems) -> Option<Vec<String>> {
    let items = reader::list(node, path, p)?;
    if items.is_empty() {
        p.warn(node, path, "no address: mail alerts will go nowhere");
    }
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| email(n, &index(path, i), p))
            .collect(),
    )
}

pub(crate) fn read_gotify(node: &Node, path: &str, p: &mut Problems) -> Vec<Gotify> {
    let Some(items) = reader::list(node, path, p) else {
        return Vec::new();
    };
    let mut servers = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let sec = Section::new(item, &item_path, &["url", "tokens"], p);
        let url = sec.req("url", p, http_url);
        let tokens = sec.req("tokens", p, reader::strings).unwrap_or_default();
        if let (Some(url), Some(node)) = (url, sec.node()) {
            if tokens.is_empty() {
                p.warn(
                    node,
                    &item_path,
                    "no token: nothing will be posted to this server",
                );
            }
            servers.push(Gotify { url, tokens });
        }
    }
    servers
}

/// An absolute http(s) URL with a host.
pub(crate) fn http_url(node: &Node, path: &str, p: &mut Problems) -> Option<url::Url> {
    let text = reader::non_empty(node, path, p)?;
    match url::Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) => {
            p.error(
                node,
                path,
                format!(
                    "{text:?} must be an http:// or https:// URL (got scheme {:?})",
                    url.scheme()
                ),
            );
            None
        }
        Err(e) => {
            p.error(node, path, format!("{text:?} is not a valid URL: {e}"));
            None
        }
    }
}

pub(crate) fn read_apprise(
    node: &Node,
    path: &str,
    p: &mut Problems,
) -> BTreeMap<String, Vec<String>> {
    let Value::Map(entries) = &node.value else {
        p.error(
            node,
            path,
            format!(
                "expected a mapping of group name → list of Apprise URLs, got {}",
                node.kind()
            ),
        );
        return BTreeMap::new();
    };
    let mut groups = BTreeMap::new();
    for entry in entries {
        let group_path = reader::field(path, &entry.key);
        let items = reader::list(&entry.value, &group_path, p).unwrap_or_default();
        let urls = items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| apprise_url(n, &index(&group_path, i), p))
            .collect();
        groups.insert(entry.key.clone(), urls);
    }
    groups
}

fn apprise_url(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let url = reader::non_empty(node, path, p)?;
    if !url.contains("://") {
        p.error(
            node,
            path,
            format!("{url:?} is not an Apprise URL (<service>://...)"),
        );
        return None;
    }
    Some(url)
}

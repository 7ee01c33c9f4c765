//! `mail`: SMTP through lettre (reference §1.4.3, §6.4).
//!
//! Fixed from the reference: one message to all `addresses` (one `To:` header listing them,
//! so a retry never reaches some twice), with `From`, `To`, `Date` and `Message-ID` headers;
//! a plain-text part as in the reference plus a short HTML part with the links; SMTPS
//! (`ssl`) or STARTTLS (`starttls`, refused rather than silently skipped when the server
//! does not offer it), certificates checked against the system's roots and an optional
//! `ca_file` (ours) for a private CA.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::notice::icon;
use super::{Notice, SEND_TIMEOUT, SendError};
use crate::config::channels::email;
use crate::config::problem::Problems;
use crate::config::reader::{self, Section, index};
use crate::config::yaml::Node;

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
    /// (Argos Rust) PEM file of a private CA that signed the server's certificate.
    pub ca_file: Option<PathBuf>,
}

/// SMTP login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAuth {
    /// User name.
    pub login: String,
    /// Password.
    pub password: String,
}

const KEYS: &[&str] = &[
    "mailfrom",
    "host",
    "port",
    "ssl",
    "starttls",
    "auth",
    "addresses",
    "ca_file",
];

/// Reads `general.mail`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Mail {
    let sec = Section::new(node, path, KEYS, p);
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
        ca_file: sec.opt("ca_file", p, reader::non_empty).map(PathBuf::from),
    };
    if let (true, true, Some(n)) = (mail.ssl, mail.starttls, sec.node()) {
        p.error(
            n,
            path,
            "ssl (implicit TLS) and starttls cannot both be true: choose one",
        );
    }
    if let (Some(file), Some(n)) = (&mail.ca_file, sec.get("ca_file"))
        && let Err(e) = std::fs::read(file)
    {
        p.error(
            n,
            &sec.path("ca_file"),
            format!("cannot read {}: {e}", file.display()),
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

/// What a mail says: everything but the headers lettre makes (Date, Message-ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `[Argos] <title>`.
    pub subject: String,
    /// The reference's plain-text body.
    pub text: String,
    /// A short HTML version with the links clickable.
    pub html: String,
}

impl Mail {
    /// The mail for `notice`.
    pub fn render(&self, notice: &Notice) -> Rendered {
        Rendered {
            subject: format!("[Argos] {}", notice.title),
            text: notice.text.clone(),
            html: html(notice),
        }
    }

    /// The complete message (headers included).
    ///
    /// # Errors
    /// An address lettre refuses (config loading checked their shape already).
    pub fn message(&self, notice: &Notice) -> Result<Message, SendError> {
        let r = self.render(notice);
        let mailbox = |a: &str| {
            a.parse::<Mailbox>()
                .map_err(|e| SendError::permanent(format!("address {a:?}: {e}")))
        };
        let mut builder = Message::builder()
            .from(mailbox(&self.mailfrom)?)
            .subject(r.subject)
            .date_now();
        for a in &self.addresses {
            builder = builder.to(mailbox(a)?);
        }
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(r.text))
            .singlepart(
                SinglePart::builder()
                    .content_type(ContentType::TEXT_HTML)
                    .body(r.html),
            );
        builder
            .multipart(body)
            .map_err(|e| SendError::permanent(format!("building the message: {e}")))
    }

    /// Sends `notice` to every address, in one SMTP transaction.
    ///
    /// # Errors
    /// The SMTP failure; a 5xx answer (a refused sender or recipient) is permanent.
    pub async fn send(&self, notice: &Notice) -> Result<(), SendError> {
        if self.addresses.is_empty() {
            return Ok(());
        }
        let message = self.message(notice)?;
        let transport = self.transport()?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::permanent(smtp_error(&e))),
            Err(e) => Err(SendError::transient(smtp_error(&e))),
        }
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(SEND_TIMEOUT));
        if self.ssl || self.starttls {
            let params = self.tls_parameters()?;
            builder = builder.tls(if self.ssl {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            });
        }
        if let Some(auth) = &self.auth {
            builder =
                builder.credentials(Credentials::new(auth.login.clone(), auth.password.clone()));
        }
        Ok(builder.build())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        let mut params = TlsParameters::builder(self.host.clone());
        if let Some(file) = &self.ca_file {
            let pem = std::fs::read(file).map_err(|e| {
                SendError::transient(format!("reading ca_file {}: {e}", file.display()))
            })?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| SendError::permanent(format!("ca_file {}: {e}", file.display())))?;
            params = params.add_root_certificate(cert);
        }
        params
            .build()
            .map_err(|e| SendError::permanent(format!("TLS setup: {e}")))
    }
}

/// The SMTP error with its causes, never the password.
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// A short HTML version of `notice` (mail's second part, Matrix's formatted body).
pub(crate) fn html(notice: &Notice) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = format!("<h1>{}</h1>\n", esc(&notice.title));
    if notice.items.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", esc(notice.text.trim())));
    }
    if !notice.items.is_empty() {
        out.push_str("<ul>\n");
    }
    for i in &notice.items {
        let change = match i.previous {
            Some(p) if p != i.severity => format!("{p} → {}", i.severity),
            _ => i.severity.to_string(),
        };
        let link = |url: &Option<String>, label: &str| match url {
            Some(u) => format!(" <a href=\"{}\">{label}</a>", esc(u)),
            None => String::new(),
        };
        out.push_str(&format!(
            "<li>{} <b>{}</b> (IPv{}) {}: {}{}{}</li>\n",
            icon(i.severity),
            esc(&i.domain),
            esc(&i.ip_version),
            esc(&i.check),
            esc(&change),
            link(&i.result_url, "result"),
            link(&i.task_url, "history"),
        ));
    }
    if !notice.items.is_empty() {
        out.push_str("</ul>\n");
    }
    if let Some(l) = &notice.link {
        out.push_str(&format!(
            "<p><a href=\"{}\">Open in Argos</a></p>\n",
            esc(l)
        ));
    }
    out
}

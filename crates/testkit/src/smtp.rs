//! A real SMTP server on loopback, for the mail channel's tests: `aiosmtpd` (PyPI) run by
//! `python3`, with plain SMTP, STARTTLS (required) or implicit TLS, and optionally a login it
//! checks. Every accepted message is saved to a temporary directory and read back, decoded,
//! as a [`ReceivedMail`].
//!
//! When `python3 -c 'import aiosmtpd'` fails, [`SmtpServer::start`] FAILS with `CI=true` (CI
//! must run these tests: `.ci/run` installs aiosmtpd) and returns `None` elsewhere, with a
//! note, so the caller skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{Duration, Utc};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};

use crate::TestCa;

/// The server script (documented at its top).
const SCRIPT: &str = include_str!("smtp.py");

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP that offers STARTTLS and refuses mail until the client upgrades.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// A certificate for `127.0.0.1` and `localhost`, and how to use it.
#[derive(Debug, Clone)]
pub struct SmtpTls {
    /// STARTTLS or implicit TLS.
    pub mode: TlsMode,
    /// The leaf certificate, then the CA, in PEM.
    pub chain_pem: String,
    /// The leaf's private key in PEM.
    pub key_pem: String,
}

impl SmtpTls {
    /// STARTTLS (required) with a certificate from `ca`.
    pub fn starttls(ca: &TestCa) -> SmtpTls {
        SmtpTls::new(TlsMode::StartTls, ca)
    }

    /// Implicit TLS with a certificate from `ca`.
    pub fn implicit(ca: &TestCa) -> SmtpTls {
        SmtpTls::new(TlsMode::Implicit, ca)
    }

    fn new(mode: TlsMode, ca: &TestCa) -> SmtpTls {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let mut params = CertificateParams::new(names).expect("valid host names");
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = crate::to_time(Utc::now() - Duration::days(1));
        params.not_after = crate::to_time(Utc::now() + Duration::days(30));
        let key = KeyPair::generate().expect("generating a key");
        let cert = params
            .signed_by(&key, &ca.issuer)
            .expect("signing the leaf");
        SmtpTls {
            mode,
            chain_pem: format!("{}{}", cert.pem(), ca.pem()),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope's sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope's recipients (`RCPT TO`), in order.
    pub rcpt_tos: Vec<String>,
    /// Whether the session was encrypted (after STARTTLS, or implicit TLS).
    pub tls: bool,
    /// The login the client authenticated with, if it did.
    pub login: Option<String>,
    /// The message as received.
    pub raw: String,
    /// Headers in order, decoded and unfolded.
    pub headers: Vec<(String, String)>,
    /// Leaf MIME parts in order: content type (`text/plain`) and decoded content.
    pub parts: Vec<(String, String)>,
}

impl ReceivedMail {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first part of type `content_type` (`text/plain`, `text/html`).
    pub fn part(&self, content_type: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(t, _)| t == content_type)
            .map(|(_, c)| c.as_str())
    }

    fn read(dir: &Path) -> ReceivedMail {
        let file = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("reading {}/{name}: {e}", dir.display()))
        };
        let envelope = file("envelope");
        let mut envelope = envelope.lines().map(str::to_owned);
        let session = file("session");
        let setting = |key: &str| {
            session
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or_default()
                .to_owned()
        };
        let login = setting("login");
        let headers = file("headers")
            .lines()
            .filter_map(|l| l.split_once(": ").or_else(|| l.split_once(':')))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let parts = file("parts")
            .lines()
            .filter(|t| !t.is_empty())
            .enumerate()
            .map(|(i, t)| (t.to_owned(), file(&format!("part-{i}"))))
            .collect();
        ReceivedMail {
            mail_from: envelope.next().unwrap_or_default(),
            rcpt_tos: envelope.collect(),
            tls: setting("tls") == "yes",
            login: (!login.is_empty()).then_some(login),
            raw: file("raw.eml"),
            headers,
            parts,
        }
    }
}

/// A running SMTP server on `127.0.0.1:port`; killed (and its files removed) on drop.
#[derive(Debug)]
pub struct SmtpServer {
    /// The port it listens on.
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpServer {
    /// A server without login, plain or with `tls`. `None` when aiosmtpd is missing outside CI.
    ///
    /// # Panics
    /// When the server does not start, or aiosmtpd is missing and `CI=true`.
    pub fn start(tls: Option<SmtpTls>) -> Option<SmtpServer> {
        SmtpServer::start_with(tls, None)
    }

    /// Like [`SmtpServer::start`], requiring a login: only `login` with `password` may send
    /// (PLAIN or LOGIN, offered only after STARTTLS as real servers do).
    ///
    /// # Panics
    /// As [`SmtpServer::start`].
    pub fn start_with(tls: Option<SmtpTls>, auth: Option<(&str, &str)>) -> Option<SmtpServer> {
        if !aiosmtpd_available() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("argos-smtp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("mail")).expect("creating the SMTP server's directory");
        let mut cmd = Command::new("python3");
        cmd.arg("-c").arg(SCRIPT).arg("--dir").arg(dir.join("mail"));
        if let Some(tls) = &tls {
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            std::fs::write(&cert, &tls.chain_pem).expect("writing the certificate");
            std::fs::write(&key, &tls.key_pem).expect("writing the key");
            let mode = match tls.mode {
                TlsMode::StartTls => "starttls",
                TlsMode::Implicit => "implicit",
            };
            cmd.args(["--mode", mode])
                .arg("--cert")
                .arg(cert)
                .arg("--key")
                .arg(key);
        }
        if let Some((login, password)) = auth {
            cmd.args(["--login", login, "--password", password]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("running python3");
        let port = read_port(&mut child);
        Some(SmtpServer { port, dir, child })
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.join("mail"))
            .expect("reading the SMTP server's directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("msg-"))
            })
            .collect();
        names.sort();
        names.iter().map(|p| ReceivedMail::read(p)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The port the script prints once it listens.
fn read_port(child: &mut Child) -> u16 {
    let stdout = child.stdout.take().expect("a piped stdout");
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    match line.trim().parse() {
        Ok(port) => port,
        Err(_) => {
            let _ = child.kill();
            panic!("the SMTP server did not start (see its error above); it said {line:?}")
        }
    }
}

/// Whether `python3` can import aiosmtpd.
///
/// # Panics
/// When it cannot and `CI=true`.
pub fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but python3 cannot import aiosmtpd: the mail tests must run in CI (see .ci/run)"
        );
    }
    eprintln!("python3 cannot import aiosmtpd (python3 -m pip install aiosmtpd): skipping");
    false
}

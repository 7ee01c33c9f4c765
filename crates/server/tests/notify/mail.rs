//! The mail channel against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS with a
//! private CA and a login the server checks, implicit TLS, and the refusals.

use std::path::PathBuf;

use argos_server::notify::mail::{Mail, MailAuth};
use argos_server::notify::{Channel, Notice};
use argos_testkit::TestCa;
use argos_testkit::smtp::{ReceivedMail, SmtpServer, SmtpTls};

use crate::support::{ctx, down};

fn mail(port: u16) -> Mail {
    Mail {
        mailfrom: "argos@example.org".into(),
        host: "127.0.0.1".into(),
        port,
        ssl: false,
        starttls: false,
        auth: None,
        addresses: vec!["ops@example.org".into(), "oncall@example.net".into()],
        ca_file: None,
    }
}

/// `ca`'s certificate in a file, as `ca_file` wants it.
fn ca_file(ca: &TestCa) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).expect("writing the CA");
    (dir, path)
}

async fn send(mail: Mail, notice: &Notice) -> Result<(), argos_server::notify::SendError> {
    Channel::Mail(mail).send(&ctx(), notice, &[]).await
}

/// What every mail of [`down`] must look like.
fn assert_is_the_down_mail(m: &ReceivedMail, notice: &Notice) {
    assert_eq!(m.mail_from, "argos@example.org");
    assert_eq!(m.rcpt_tos, ["ops@example.org", "oncall@example.net"]);
    assert_eq!(m.header("From"), Some("argos@example.org"));
    assert_eq!(m.header("To"), Some("ops@example.org, oncall@example.net"));
    assert_eq!(
        m.header("Subject"),
        Some("[Argos] ❌ example.org (IPv4): status critical")
    );
    let date = m.header("Date").expect("a Date header");
    let date = chrono::DateTime::parse_from_rfc2822(date).expect("an RFC 2822 date");
    let age = chrono::Utc::now().signed_duration_since(date);
    assert!(age.num_seconds().abs() < 120, "Date is {date}");
    let id = m.header("Message-ID").expect("a Message-ID header");
    assert!(
        id.starts_with('<') && id.ends_with('>') && id.contains('@'),
        "{id}"
    );
    let types: Vec<&str> = m.parts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    assert_eq!(m.part("text/plain"), Some(notice.text.as_str()));
    let html = m.part("text/html").expect("an HTML part");
    for piece in [
        "<h1>❌ example.org (IPv4): status critical</h1>",
        "<b>example.org</b> (IPv4) status-is: ok → critical, 2026-12-02 10:00:00 UTC",
        "<br>expected 200, got 503",
        "<a href=\"https://argos.example/result/1007\">result</a>",
        "<a href=\"https://argos.example/task/107/results#1007\">history</a>",
        "<a href=\"https://argos.example/result/1007\">Open in Argos</a>",
    ] {
        assert!(html.contains(piece), "{piece:?} not in {html}");
    }
}

#[tokio::test]
async fn plain_smtp_sends_one_message_to_every_address() {
    let Some(server) = SmtpServer::start(None) else {
        return;
    };
    let notice = down();

    assert_eq!(send(mail(server.port), &notice).await, Ok(()));

    let got = server.messages();
    assert_eq!(got.len(), 1, "one message for all addresses");
    assert_is_the_down_mail(&got[0], &notice);
    assert!(!got[0].tls);
    assert_eq!(
        got[0].part("text/plain"),
        Some(
            "URL:    https://example.org/ (IPv4)\n\
             Check:  status-is\n\
             Status: critical\n\
             Time:   2026-12-02 10:00:00 UTC\n\
             Previous status: ok\n\
             Detail: expected 200, got 503\n\
             \n\
             See result on https://argos.example/result/1007\n\
             \n\
             See results of task on https://argos.example/task/107/results#1007\n"
        )
    );
}

#[tokio::test]
async fn starttls_with_a_private_ca_and_a_login_the_server_checks() {
    let ca = TestCa::new();
    let Some(server) =
        SmtpServer::start_with(Some(SmtpTls::starttls(&ca)), Some(("argos", "pa55 word")))
    else {
        return;
    };
    let (_dir, ca_path) = ca_file(&ca);
    let mut m = mail(server.port);
    m.starttls = true;
    m.ca_file = Some(ca_path);
    m.auth = Some(MailAuth {
        login: "argos".into(),
        password: "pa55 word".into(),
    });
    let notice = down();

    assert_eq!(send(m, &notice).await, Ok(()));

    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert_is_the_down_mail(&got[0], &notice);
    assert!(got[0].tls, "the message went after STARTTLS");
    assert_eq!(got[0].login.as_deref(), Some("argos"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_for_good_and_never_shown() {
    let ca = TestCa::new();
    let Some(server) =
        SmtpServer::start_with(Some(SmtpTls::starttls(&ca)), Some(("argos", "right")))
    else {
        return;
    };
    let (_dir, ca_path) = ca_file(&ca);
    let mut m = mail(server.port);
    m.starttls = true;
    m.ca_file = Some(ca_path);
    m.auth = Some(MailAuth {
        login: "argos".into(),
        password: "wr0ng-Passw0rd".into(),
    });

    let err = send(m, &down()).await.unwrap_err();

    assert!(err.permanent, "{err:?}");
    assert!(err.message.contains("535"), "{}", err.message);
    assert!(!err.message.contains("wr0ng-Passw0rd"), "{}", err.message);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_login_is_never_sent_over_a_plain_connection() {
    // The server offers AUTH only after STARTTLS; a config without TLS must not fall back to
    // sending the password in clear (lettre finds no mechanism it may use).
    let ca = TestCa::new();
    let Some(server) = SmtpServer::start_with(Some(SmtpTls::starttls(&ca)), Some(("argos", "pw")))
    else {
        return;
    };
    let mut m = mail(server.port);
    m.auth = Some(MailAuth {
        login: "argos".into(),
        password: "pw".into(),
    });

    let err = send(m, &down()).await.unwrap_err();

    assert!(err.message.contains("authentication"), "{}", err.message);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_an_error_not_plaintext() {
    let Some(server) = SmtpServer::start(None) else {
        return;
    };
    let mut m = mail(server.port);
    m.starttls = true;

    let err = send(m, &down()).await.unwrap_err();

    assert!(err.message.contains("STARTTLS"), "{}", err.message);
    assert!(server.messages().is_empty(), "nothing was sent in clear");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let Some(server) = SmtpServer::start(Some(SmtpTls::starttls(&TestCa::new()))) else {
        return;
    };
    let (_dir, other_ca) = ca_file(&TestCa::new());
    let mut m = mail(server.port);
    m.starttls = true;
    m.ca_file = Some(other_ca);

    let err = send(m, &down()).await.unwrap_err();

    assert!(
        err.message.contains("invalid peer certificate"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains("error: Connection error"),
        "said once: {}",
        err.message
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn implicit_tls_smtps() {
    let ca = TestCa::new();
    let Some(server) = SmtpServer::start(Some(SmtpTls::implicit(&ca))) else {
        return;
    };
    let (_dir, ca_path) = ca_file(&ca);
    let mut m = mail(server.port);
    m.ssl = true;
    m.ca_file = Some(ca_path);
    let notice = down();

    assert_eq!(send(m, &notice).await, Ok(()));

    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert_is_the_down_mail(&got[0], &notice);
    assert!(got[0].tls);
}

#[tokio::test]
async fn no_smtp_server_is_transient() {
    let closed = argos_testkit::closed_port();

    let err = send(mail(closed.port()), &down()).await.unwrap_err();

    assert!(!err.permanent, "{err:?}");
}

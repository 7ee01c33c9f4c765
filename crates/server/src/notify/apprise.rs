//! `apprise:<group>`: one `general.apprise` group's URLs, through the `apprise` command-line
//! tool (`pip install apprise`), or through an Apprise API server when
//! `general.apprise_api_url` is set (its stateless `POST /notify/`).
//!
//! Fixed from the reference: a failure is reported (the reference ignored Apprise's return
//! value), and the group's URLs, which hold credentials, go to the tool through its
//! `APPRISE_URLS` environment variable rather than its command line (visible to `ps`). The
//! tool reads that variable when it is given neither URLs nor `--config` (checked against
//! apprise 2.x; a test runs the real tool). What the tool or the server says about a failure
//! is reported with every URL in it hidden (Apprise echoes URLs it cannot parse).

use std::process::Stdio;

use argos_checks::Severity;
use serde_json::json;
use tokio::process::Command;

use super::http::hide_urls;
use super::{Ctx, HttpPost, Notice, SendError};

/// The program run when no API server is configured.
pub const PROGRAM: &str = "apprise";

/// One group's URLs and how to reach Apprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apprise {
    /// The group's Apprise URLs (`mailto://…`, `json://…`, ...).
    pub urls: Vec<String>,
    /// An Apprise API server; `None`: the command-line tool.
    pub api: Option<url::Url>,
    /// The command-line tool (default [`PROGRAM`], looked up in `PATH`).
    pub program: String,
}

/// Apprise's notification type for a severity (its colours and icons).
fn kind(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "success",
        Severity::Warning | Severity::Unknown => "warning",
        Severity::Critical => "failure",
    }
}

impl Apprise {
    /// A group sent through the API server `api`, or the `apprise` tool.
    pub fn new(urls: Vec<String>, api: Option<url::Url>) -> Apprise {
        Apprise {
            urls,
            api,
            program: PROGRAM.to_owned(),
        }
    }

    /// The reference's title and body: `[Argos] <title>` and the mail's text.
    pub fn render(&self, notice: &Notice) -> (String, String) {
        (format!("[Argos] {}", notice.title), notice.text.clone())
    }

    /// The API server's request.
    pub fn render_api(&self, api: &url::Url, notice: &Notice) -> HttpPost {
        let (title, body) = self.render(notice);
        let mut url = api.clone();
        url.set_path(&format!("{}/notify/", api.path().trim_end_matches('/')));
        let value = json!({
            "urls": self.urls.join(","),
            "title": title,
            "body": body,
            "type": kind(notice.severity),
        });
        HttpPost::json(url, &value)
    }

    /// Sends to every URL of the group.
    ///
    /// # Errors
    /// The tool or the server failed; what it said, without the URLs.
    pub async fn send(&self, ctx: &Ctx, notice: &Notice) -> Result<(), SendError> {
        if self.urls.is_empty() {
            return Ok(());
        }
        match &self.api {
            // The API server answers 424 when a service behind it failed: worth retrying.
            Some(api) => {
                let post = self.render_api(api, notice);
                post.send_retrying_on(ctx, &[424]).await
            }
            None => self.run_tool(notice).await,
        }
    }

    async fn run_tool(&self, notice: &Notice) -> Result<(), SendError> {
        let (title, body) = self.render(notice);
        // `--opt=value`: a body starting with `-` must not read as an option. `-v` makes the
        // tool say why a service failed (otherwise it exits 1 without a word).
        let out = Command::new(&self.program)
            .arg("-v")
            .arg(format!("--title={title}"))
            .arg(format!("--body={body}"))
            .arg(format!("--notification-type={}", kind(notice.severity)))
            .env("APPRISE_URLS", self.urls.join(" "))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| SendError::transient(format!("running {}: {e}", self.program)))?;
        if out.status.success() {
            return Ok(());
        }
        Err(SendError::transient(format!(
            "{} exited with {}{}",
            self.program,
            out.status,
            said(&out.stderr, &out.stdout)
        )))
    }
}

/// `": <what the tool said>"`: its error output (its usage complaints go to the standard
/// output), URLs hidden, one line, at most 300 characters.
fn said(stderr: &[u8], stdout: &[u8]) -> String {
    let text = match String::from_utf8_lossy(stderr).trim() {
        "" => String::from_utf8_lossy(stdout).trim().to_owned(),
        err => err.to_owned(),
    };
    let text = hide_urls(&text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let text: String = lines.join("; ").chars().take(300).collect();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Whether the `apprise` tool can be run (checked at start-up when a group is routed and no
/// API server is configured).
pub async fn tool_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

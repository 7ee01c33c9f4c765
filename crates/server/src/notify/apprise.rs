//! `apprise:<group>`: one `general.apprise` group's URLs, through the `apprise` command-line
//! tool (`pip install apprise`), or through an Apprise API server when
//! `general.apprise_api_url` is set (its stateless `POST /notify/`).
//!
//! Fixed from the reference: a failure is reported (the reference ignored Apprise's return
//! value), and the group's URLs, which hold credentials, go to the tool through its
//! `APPRISE_URLS` environment variable rather than its command line (visible to `ps`).

use std::process::Stdio;

use argos_checks::Severity;
use serde_json::json;
use tokio::process::Command;

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
            Some(api) => self.render_api(api, notice).send(ctx).await,
            None => self.run_tool(notice).await,
        }
    }

    async fn run_tool(&self, notice: &Notice) -> Result<(), SendError> {
        let (title, body) = self.render(notice);
        let out = Command::new(&self.program)
            .arg("--title")
            .arg(&title)
            .arg("--body")
            .arg(&body)
            .arg("--notification-type")
            .arg(kind(notice.severity))
            .env("APPRISE_URLS", self.urls.join(" "))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| SendError::transient(format!("running {}: {e}", self.program)))?;
        if out.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&out.stderr);
        let said: String = said.trim().chars().take(300).collect();
        Err(SendError::transient(format!(
            "{} exited with {}: {said}",
            self.program, out.status
        )))
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

//! `slack:<name>`: a Slack-compatible incoming webhook (`general.slack.<name>: {url}`). The
//! same payload works for Slack, Mattermost and Rocket.Chat, and for Discord through its
//! Slack-compatible endpoint (the Discord webhook URL followed by `/slack`).

use argos_checks::Severity;
use serde_json::json;

use super::{HttpPost, Notice};
use crate::config::channels::http_url;
use crate::config::problem::Problems;
use crate::config::reader::Section;
use crate::config::yaml::Node;

/// One incoming webhook. Its URL is its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slack {
    /// The webhook URL.
    pub url: url::Url,
}

/// Reads one `general.slack.<name>`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Option<Slack> {
    let sec = Section::new(node, path, &["url"], p);
    Some(Slack {
        url: sec.req("url", p, http_url)?,
    })
}

/// The attachment's side bar.
fn colour(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "#2e7d32",
        Severity::Warning => "#f9a825",
        Severity::Unknown => "#757575",
        Severity::Critical => "#c62828",
    }
}

impl Slack {
    /// The request: the title as the message, the body in a coloured attachment.
    pub fn render(&self, notice: &Notice) -> HttpPost {
        let mut attachment = json!({
            "fallback": notice.title,
            "color": colour(notice.severity),
            "text": notice.text,
        });
        if let Some(link) = &notice.link {
            attachment["title"] = json!("Open in Argos");
            attachment["title_link"] = json!(link);
        }
        let body = json!({
            "text": notice.title,
            "username": "Argos",
            "attachments": [attachment],
        });
        HttpPost::json(self.url.clone(), &body)
    }
}

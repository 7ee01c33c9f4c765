//! `ntfy:<name>`: a topic on an ntfy server (`general.ntfy.<name>: {url, topic, token}`),
//! published as JSON (`POST <url>` with the topic in the body), so that titles are not
//! limited to what an HTTP header can carry.

use argos_checks::Severity;
use serde_json::json;

use super::{HttpPost, Notice};
use crate::config::channels::http_url;
use crate::config::problem::Problems;
use crate::config::reader::{self, Section};
use crate::config::yaml::Node;

/// One ntfy topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ntfy {
    /// The server (`https://ntfy.sh`).
    pub url: url::Url,
    /// The topic.
    pub topic: String,
    /// An access token (sent as `Authorization: Bearer`), for protected topics.
    pub token: Option<String>,
}

/// Reads one `general.ntfy.<name>`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Option<Ntfy> {
    let sec = Section::new(node, path, &["url", "topic", "token"], p);
    let url = sec.req("url", p, http_url);
    let topic = sec.req("topic", p, reader::non_empty);
    let token = sec.opt("token", p, reader::non_empty);
    Some(Ntfy {
        url: url?,
        topic: topic?,
        token,
    })
}

/// ntfy's priorities: 2 (low) for a recovery, 4 (high) warning/unknown, 5 (max) critical.
pub fn priority(s: Severity) -> u8 {
    match s {
        Severity::Ok => 2,
        Severity::Warning | Severity::Unknown => 4,
        Severity::Critical => 5,
    }
}

/// The emoji tag ntfy shows before the title.
fn tag(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "white_check_mark",
        Severity::Warning => "warning",
        Severity::Unknown => "grey_question",
        Severity::Critical => "x",
    }
}

impl Ntfy {
    /// The publish request.
    pub fn render(&self, notice: &Notice) -> HttpPost {
        let mut body = json!({
            "topic": self.topic,
            "title": notice.title,
            "message": notice.markdown,
            "markdown": true,
            "priority": priority(notice.severity),
            "tags": [tag(notice.severity), "argos"],
        });
        if let Some(link) = &notice.link {
            body["click"] = json!(link);
        }
        let post = HttpPost::json(self.url.clone(), &body);
        match &self.token {
            Some(t) => post.header("authorization", format!("Bearer {t}")),
            None => post,
        }
    }
}

//! `matrix:<name>`: a message in a Matrix room through the client-server API
//! (`general.matrix.<name>: {homeserver, room_id, access_token}`), as the user whose access
//! token is given (a bot account that joined the room).
//!
//! The message is `PUT …/rooms/<room>/send/m.room.message/<txn>` with a transaction id
//! derived from the alerts it carries: a retry of the same message is the same transaction,
//! which the homeserver does not post twice. A system message (no agent, test) carries no
//! alert id, and its words repeat from one occurrence to the next: it gets a fresh id, or the
//! homeserver would silently drop a second test message sent within its deduplication
//! window (a retry of one may then, rarely, post it twice).

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{HttpPost, Notice};
use crate::config::channels::http_url;
use crate::config::problem::Problems;
use crate::config::reader::{self, Section};
use crate::config::yaml::Node;

/// One Matrix room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The homeserver's base URL (`https://matrix.example.org`).
    pub homeserver: url::Url,
    /// The room id (`!abcdef:example.org`).
    pub room_id: String,
    /// The sending account's access token.
    pub access_token: String,
}

/// Reads one `general.matrix.<name>`.
pub(crate) fn read(node: &Node, path: &str, p: &mut Problems) -> Option<Matrix> {
    let keys = &["homeserver", "room_id", "access_token"];
    let sec = Section::new(node, path, keys, p);
    let homeserver = sec.req("homeserver", p, http_url);
    let room_id = sec.req("room_id", p, reader::non_empty);
    if let (Some(room), Some(n)) = (&room_id, sec.get("room_id"))
        && !(room.starts_with('!') && room.contains(':'))
    {
        let message =
            format!("{room:?} is not a room id (`!<id>:<server>`, in the room's settings)");
        p.error(n, &sec.path("room_id"), message);
    }
    let access_token = sec.req("access_token", p, reader::non_empty);
    Some(Matrix {
        homeserver: homeserver?,
        room_id: room_id?,
        access_token: access_token?,
    })
}

/// The same for every attempt of a message about alerts; new each time for a system one.
pub fn transaction_id(notice: &Notice) -> String {
    if notice.items.is_empty() {
        return format!("argos-{}", uuid::Uuid::new_v4().simple());
    }
    let mut h = Sha256::new();
    h.update(notice.title.as_bytes());
    for i in &notice.items {
        h.update(i.id.to_le_bytes());
    }
    format!("argos-{}", argos_checks::hex::encode(&h.finalize()[..12]))
}

impl Matrix {
    /// The request, as transaction [`transaction_id`].
    pub fn render(&self, notice: &Notice) -> HttpPost {
        self.render_as(notice, &transaction_id(notice))
    }

    /// The request, as transaction `txn`.
    pub fn render_as(&self, notice: &Notice, txn: &str) -> HttpPost {
        let mut url = self.homeserver.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend([
                "_matrix",
                "client",
                "v3",
                "rooms",
                &self.room_id,
                "send",
                "m.room.message",
                txn,
            ]);
        }
        let body = json!({
            "msgtype": "m.text",
            "body": format!("{}\n\n{}", notice.title, notice.text),
            "format": "org.matrix.custom.html",
            "formatted_body": super::mail::html(notice),
        });
        let mut post = HttpPost::json(url, &body)
            .header("authorization", format!("Bearer {}", self.access_token));
        post.method = Method::PUT;
        post
    }
}

//! The notification channels against real receivers, all on loopback (no internet):
//! - HTTP channels (Gotify, ntfy, webhook, Matrix, Slack) against a recording axum receiver,
//!   asserting the exact request and how failures are classified;
//! - mail against a real SMTP server (aiosmtpd, see `argos_testkit::smtp`);
//! - Apprise through the real `apprise` tool and through the API server's request;
//! - `render` for summaries and system messages.
//!
//! aiosmtpd and apprise come from PyPI (`.ci/run` installs them): without them these tests
//! fail under `CI=true` and are skipped with a note elsewhere.

#[path = "notify/apprise.rs"]
mod apprise;
#[path = "notify/http_channels.rs"]
mod http_channels;
#[path = "notify/mail.rs"]
mod mail;
#[path = "notify/render.rs"]
mod render;
#[path = "notify/support.rs"]
mod support;

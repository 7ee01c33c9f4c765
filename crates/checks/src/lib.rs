//! What a check is, how an agent runs it, and the agent wire format.
//!
//! Map of the crate:
//! - [`wire`]: the JSON shapes exchanged between server and agents (Argos Panoptès compatible);
//! - [`options`]: a path's request options (`timeout`, `follow_redirects`, `max_body_bytes`);
//! - [`kind`]: every check type, one file each, dispatched by the [`Check`] enum; each check
//!   names the [`ProbeKind`](kind::ProbeKind) it needs (an HTTP request, a TCP connect or a
//!   DNS lookup);
//! - [`probe`]: the clients and the three probes, which never fail: a broken site is a
//!   [`probe::FetchError`] value;
//! - [`group`]: runs one request group (one probe, every check of the group evaluated on it);
//! - [`finalize`](mod@finalize): status + context → severity, run on the server;
//! - [`reason`]: why a check failed, as a closed set (wire text `tls-expired`, ...);
//! - [`duration`]: the duration syntax of the config (`"5m"`, `"500ms"`);
//! - [`hex`]: bytes as hex text (keys, hashes).
//!
//! This crate has no database and no web server: the agent links it without either.
#![warn(missing_docs)]

pub mod duration;
pub mod finalize;
pub mod group;
pub mod hex;
pub mod kind;
pub mod options;
pub mod outcome;
pub mod probe;
pub mod reason;
pub mod wire;

pub use finalize::{Threshold, finalize};
pub use kind::Check;
pub use options::RequestOptions;
pub use outcome::Outcome;
pub use reason::Reason;
pub use wire::{
    AgentResult, IpVersion, MAX_LEASE_GROUPS, Method, RequestData, Severity, Status, Task,
};

//! What a check is, how an agent runs it, and the agent wire format.
//!
//! Map of the crate:
//! - [`wire`]: the JSON shapes exchanged between server and agents (Argos Panoptès compatible);
//! - [`kind`]: every check type, one file each, dispatched by the [`Check`] enum;
//! - [`probe`]: the HTTP clients (one per IP family) and `fetch`, which never fails: a broken
//!   site is a [`probe::FetchError`] value;
//! - [`group`]: runs one request group (one request, every check of the group evaluated on it);
//! - [`finalize`]: status + context → severity, run on the server.
//!
//! This crate has no database and no web server: the agent links it without either.
#![warn(missing_docs)]

pub mod finalize;
pub mod group;
pub mod kind;
pub mod outcome;
pub mod probe;
pub mod wire;

pub use finalize::{Threshold, finalize};
pub use kind::Check;
pub use outcome::Outcome;
pub use wire::{AgentResult, IpVersion, Method, RequestData, Severity, Status, Task};

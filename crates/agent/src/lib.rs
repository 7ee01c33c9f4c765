//! The Argos agent: leases tasks from a server, runs their checks, reports the results.
//!
//! Map of the crate:
//! - [`source`]: where tasks come from and results go ([`TaskSource`]); [`http::HttpSource`] talks
//!   to a server over its agent API, the server's embedded agent implements it in-process;
//! - [`pipeline`]: the streaming pipeline — a bounded set of requests in flight, leasing more as
//!   slots free, results batched to the server with retry;
//! - [`args`]: the command line shared by `argos agent` and the slim `argos-agent` binary.
//!
//! The agent links no database and no web framework: it runs on remote hosts.
#![warn(missing_docs)]

pub mod args;
pub mod http;
pub mod pipeline;
pub mod source;

pub use pipeline::{RunOptions, run};
pub use source::{SourceError, TaskSource};

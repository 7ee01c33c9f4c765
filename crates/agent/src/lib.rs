//! The Argos agent: leases tasks from a server, runs their checks, reports the results.
//!
//! Map of the crate:
//! - [`source`]: where tasks come from and results go ([`TaskSource`]); [`http::HttpSource`] talks
//!   to a server over its agent API, the server's embedded agent implements it in-process;
//! - [`pipeline`]: the streaming pipeline — a bounded set of requests in flight, leasing more as
//!   slots free (several lease calls in flight, module `lease`), results handed to the reporter;
//! - [`report`]: results batched (bounded in count and bytes) to the server, several posts in
//!   flight, with capped and jittered retries, refused batches split until the result at fault
//!   is alone;
//! - [`args`]: the command line shared by `argos agent` and the slim `argos-agent` binary.
//!
//! The agent links no database and no web framework: it runs on remote hosts.
#![warn(missing_docs)]

pub mod args;
mod backoff;
pub mod http;
mod lease;
mod outbox;
pub mod pipeline;
pub mod report;
pub mod source;

pub use pipeline::{AgentError, RunOptions, run};
pub use source::{Lease, SourceError, TaskSource};

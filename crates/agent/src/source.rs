//! Where an agent gets tasks and sends results.

use std::future::Future;

use argos_checks::{AgentResult, Task};

/// Why talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The server could not be reached or did not answer in time: retry later.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("server answered {status}: {body}")]
    Rejected {
        /// HTTP status code.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
}

impl SourceError {
    /// Whether sending the same request again may succeed. A 4xx other than 401/408/429 means
    /// the request itself is wrong (e.g. a malformed result), so retrying it would loop forever.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Unreachable(_) => true,
            SourceError::Rejected { status, .. } => {
                *status >= 500 || matches!(status, 401 | 403 | 408 | 429)
            }
        }
    }
}

/// A server's agent API, seen from the agent.
pub trait TaskSource: Send + Sync + 'static {
    /// Leases up to `max_groups` request groups of due tasks.
    fn lease(&self, max_groups: u32)
    -> impl Future<Output = Result<Vec<Task>, SourceError>> + Send;
    /// Hands back finished results.
    fn report(
        &self,
        results: &[AgentResult],
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

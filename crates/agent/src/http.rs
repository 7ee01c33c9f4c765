//! [`TaskSource`] over the server's HTTP agent API (`GET /api/tasks`, `POST /api/results`,
//! the shapes of Argos Panoptès).

use std::time::Duration;

use argos_checks::{AgentResult, Task};
use reqwest::{Client, StatusCode};
use url::Url;

use crate::source::{SourceError, TaskSource};

/// Time allowed for one call to the server. Longer than the reference's 5 s: a server busy
/// ingesting a large batch should not make agents drop their results.
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(30);

/// Talks to one Argos server with a bearer token.
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: Client,
    tasks_url: Url,
    results_url: Url,
    token: String,
    agent_id: String,
}

impl HttpSource {
    /// Builds the client once.
    ///
    /// # Errors
    /// When `server` is not an http(s) URL or the TLS client cannot be built.
    pub fn new(
        server: &str,
        token: &str,
        agent_id: &str,
        user_agent: &str,
    ) -> anyhow::Result<Self> {
        let base = Url::parse(&format!("{}/", server.trim_end_matches('/')))
            .map_err(|e| anyhow::anyhow!("invalid server URL {server:?}: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            anyhow::bail!("the server URL must be http(s), got {server:?}");
        }
        let client = Client::builder()
            .user_agent(user_agent)
            .timeout(SERVER_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(HttpSource {
            client,
            tasks_url: base.join("api/tasks")?,
            results_url: base.join("api/results")?,
            token: token.to_owned(),
            agent_id: agent_id.to_owned(),
        })
    }

    async fn check(
        resp: reqwest::Response,
        expected: StatusCode,
    ) -> Result<reqwest::Response, SourceError> {
        if resp.status() == expected {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let mut body = resp.text().await.unwrap_or_default();
        body.truncate(500);
        Err(SourceError::Rejected { status, body })
    }
}

/// The error with its causes (reqwest's own message hides whether it was DNS, refused, TLS...).
fn unreachable(e: reqwest::Error) -> SourceError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SourceError::Unreachable(text)
}

impl TaskSource for HttpSource {
    async fn lease(&self, max_groups: u32) -> Result<Vec<Task>, SourceError> {
        let resp = self
            .client
            .get(self.tasks_url.clone())
            .bearer_auth(&self.token)
            .query(&[
                ("limit", max_groups.to_string()),
                ("agent_id", self.agent_id.clone()),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        let resp = Self::check(resp, StatusCode::OK).await?;
        resp.json().await.map_err(unreachable)
    }

    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        let resp = self
            .client
            .post(self.results_url.clone())
            .bearer_auth(&self.token)
            .query(&[("agent_id", &self.agent_id)])
            .json(results)
            .send()
            .await
            .map_err(unreachable)?;
        Self::check(resp, StatusCode::CREATED).await.map(drop)
    }
}

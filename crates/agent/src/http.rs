//! [`TaskSource`] over the server's HTTP agent API (`GET /api/tasks`, `POST /api/results`,
//! the shapes of Argos Panoptès).

use std::time::Duration;

use argos_checks::AgentResult;
use reqwest::{Client, StatusCode};
use url::Url;

use crate::source::{Lease, SourceError, TaskSource};

/// Time allowed for one call to the server. Longer than the reference's 5 s: a server busy
/// ingesting a large batch should not make agents drop their results.
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of an error answer's body is kept for the logs.
const BODY_EXCERPT: usize = 500;

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
        let retry_after = retry_after(resp.headers().get(reqwest::header::RETRY_AFTER));
        let body = resp.text().await.unwrap_or_default();
        Err(SourceError::Rejected {
            status,
            body: excerpt(&body, BODY_EXCERPT).to_owned(),
            retry_after,
        })
    }
}

/// At most `max` bytes of `text`, cut on a character boundary: an error page may be in any
/// language, and slicing inside a character panics.
fn excerpt(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// `Retry-After` (RFC 9110 §10.2.3): a number of seconds or an HTTP date.
fn retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
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
    async fn lease(&self, max_groups: u32) -> Result<Lease, SourceError> {
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
        // Task by task: one task this agent cannot read must not make it drop the others.
        let tasks: Vec<serde_json::Value> = resp.json().await.map_err(unreachable)?;
        Ok(Lease::decode(tasks))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let value = |s: &str| reqwest::header::HeaderValue::from_str(s).unwrap();
        assert_eq!(
            retry_after(Some(&value("120"))),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(Some(&value("Wed, 21 Oct 2015 07:28:00 GMT"))),
            None
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = retry_after(Some(&value(&later))).unwrap();
        assert!(
            wait > Duration::from_secs(80) && wait <= Duration::from_secs(90),
            "{wait:?}"
        );
        assert_eq!(retry_after(Some(&value("soon"))), None);
        assert_eq!(retry_after(None), None);
    }

    #[test]
    fn excerpts_never_split_a_character() {
        assert_eq!(excerpt("abc", 10), "abc");
        assert_eq!(excerpt("aé", 2), "a");
        assert_eq!(excerpt("aé", 3), "aé");
        assert_eq!(excerpt("", 0), "");
    }
}

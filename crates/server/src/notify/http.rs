//! The one way the HTTP channels send: a rendered request (pure data, what the tests compare)
//! posted with the shared client, its answer classified once for all of them.

use reqwest::Method;

use super::{Ctx, SendError};

/// A request a channel rendered: method, URL, headers and body, nothing hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPost {
    /// POST for most, PUT for Matrix (idempotent by transaction id).
    pub method: Method,
    /// Where to send it. May hold a secret (a Slack webhook URL): never logged.
    pub url: url::Url,
    /// Extra headers (authentication, content type, ...).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpPost {
    /// A POST of `value` as JSON.
    pub fn json(url: url::Url, value: &serde_json::Value) -> HttpPost {
        HttpPost {
            method: Method::POST,
            url,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).expect("a JSON value serialises"),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpPost {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sends it. A 2xx answer is a success; 408, 429 and 5xx are worth retrying; any other
    /// status means the receiver refuses this request, which retrying will not change.
    ///
    /// # Errors
    /// The failure, described without the URL (it may hold a secret).
    pub async fn send(self, ctx: &Ctx) -> Result<(), SendError> {
        let mut req = ctx.http.request(self.method, self.url).body(self.body);
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| SendError::transient(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let message = format!("HTTP {status}{}", excerpt(&body));
        let retry = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
        Err(if retry {
            SendError::transient(message)
        } else {
            SendError::permanent(message)
        })
    }
}

/// A transport error in words, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {cause}")
    }
}

/// `": <first 200 characters of the body>"`, or nothing for an empty body.
fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let cut: String = body.chars().take(200).collect();
    let more = if cut.len() < body.len() { "…" } else { "" };
    format!(": {cut}{more}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_short_and_cut_on_characters() {
        assert_eq!(super::excerpt("  "), "");
        assert_eq!(super::excerpt("nope"), ": nope");
        let long = "é".repeat(300);
        let got = super::excerpt(&long);
        assert_eq!(got.chars().count(), 2 + 200 + 1);
    }
}

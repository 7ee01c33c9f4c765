//! The one way the HTTP channels send: a rendered request (pure data, what the tests compare)
//! posted with the shared client, its answer classified once for all of them.
//!
//! Errors never carry a secret: not the URL (a Slack webhook URL is its own password), and
//! not what the receiver echoed of it (an error page saying `Cannot POST /services/T0/B0/x`,
//! a body quoting the token): a request's secrets (its URL's path, query and credentials, its
//! headers' values) and any URL are blanked out of every message.

use reqwest::Method;

use super::{Ctx, SendError};

/// What replaces a secret in an error message.
const HIDDEN: &str = "[hidden]";

/// A request a channel rendered: method, URL, headers and body, nothing hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPost {
    /// POST for most, PUT for Matrix (idempotent by transaction id).
    pub method: Method,
    /// Where to send it. May hold a secret (a Slack webhook URL): never logged.
    pub url: url::Url,
    /// Extra headers (authentication, content type, ...), one per name.
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

    /// Sets a header, replacing one of the same name (in any case): a configured
    /// `Content-Type` must not go out next to ours as a second, conflicting one.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpPost {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sends it. A 2xx answer is a success; 408, 429 and 5xx are worth retrying; any other
    /// status means the receiver refuses this request, which retrying will not change.
    ///
    /// # Errors
    /// The failure, described without the URL or any other secret.
    pub async fn send(self, ctx: &Ctx) -> Result<(), SendError> {
        self.send_retrying_on(ctx, &[]).await
    }

    /// Like [`HttpPost::send`], with more statuses worth retrying (a relay's "the service
    /// behind me failed").
    ///
    /// # Errors
    /// As [`HttpPost::send`].
    pub async fn send_retrying_on(self, ctx: &Ctx, transient: &[u16]) -> Result<(), SendError> {
        let secrets = self.secrets();
        let hide = |text: String| redact(&text, &secrets);
        let mut req = ctx.http.request(self.method, self.url).body(self.body);
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            // A header value reqwest refuses is ours to fix, not the network's.
            Err(e) if e.is_builder() => return Err(SendError::permanent(hide(describe(&e)))),
            Err(e) => return Err(SendError::transient(hide(describe(&e)))),
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let message = format!("HTTP {status}{}", excerpt(&hide(body)));
        let retry = status.is_server_error()
            || matches!(status.as_u16(), 408 | 429)
            || transient.contains(&status.as_u16());
        Err(if retry {
            SendError::transient(message)
        } else {
            SendError::permanent(message)
        })
    }

    /// What must never appear in an error: the URL's credentials, path and query, and the
    /// headers' values (tokens, API keys) but for the content type.
    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![self.url.path().to_owned()];
        secrets.extend(self.url.password().map(str::to_owned));
        secrets.extend(self.url.query().map(str::to_owned));
        secrets.extend(
            self.url
                .path_segments()
                .into_iter()
                .flatten()
                .filter(|s| {
                    // Tokens, ids (Slack `T0…/B0…/xyz`, Discord `<id>/<token>`), not `message`.
                    s.len() >= 16 || (s.len() >= 6 && s.bytes().any(|b| b.is_ascii_digit()))
                })
                .map(str::to_owned),
        );
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("content-type") {
                secrets.push(value.clone());
                secrets.extend(
                    value
                        .split_whitespace()
                        .filter(|w| w.len() >= 6)
                        .map(str::to_owned),
                );
            }
        }
        secrets.retain(|s| s.len() > 1);
        // Longest first, so a whole value goes before the words inside it.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets
    }
}

/// `text` with each of `secrets` and every URL (`scheme://…`) replaced by [`HIDDEN`].
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for s in secrets {
        text = text.replace(s.as_str(), HIDDEN);
    }
    hide_urls(&text)
}

/// `text` with every word that holds `://` replaced by [`HIDDEN`] (an Apprise URL or a
/// webhook URL carries its credentials), keeping the lines and the spacing.
pub(crate) fn hide_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | '<' | '='))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '>'))
            .map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        out.push_str(HIDDEN);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A server's URL as errors and records may show it: scheme, host, port and path, without
/// credentials or query.
pub(crate) fn public_url(url: &url::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
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
    use super::*;

    #[test]
    fn excerpts_are_short_and_cut_on_characters() {
        assert_eq!(excerpt("  "), "");
        assert_eq!(excerpt("nope"), ": nope");
        let long = "é".repeat(300);
        let got = excerpt(&long);
        assert_eq!(got.chars().count(), 2 + 200 + 1);
    }

    #[test]
    fn urls_are_hidden_wherever_they_stand() {
        let said =
            "Unparseable URL bogus://s3cret@x\nsent to (json://u:p@h/x), ok\nurl=mailto://a:b@c";
        assert_eq!(
            hide_urls(said),
            "Unparseable URL [hidden]\nsent to ([hidden]), ok\nurl=[hidden]"
        );
        assert_eq!(hide_urls("no url: here"), "no url: here");
    }

    #[test]
    fn secrets_are_the_path_tokens_and_header_values() {
        let url = url::Url::parse(
            "https://u:pw12345@hooks.example/services/T01234567/B07654321/abcdefghijklmnopqrst?k=v",
        )
        .unwrap();
        let post = HttpPost::json(url, &serde_json::json!({}))
            .header("authorization", "Bearer tok-123456")
            .header("Content-Type", "application/json; charset=utf-8");
        let echo = "Cannot POST /services/T01234567/B07654321/abcdefghijklmnopqrst; token abcdefghijklmnopqrst, \
                    T01234567, Bearer tok-123456, pw12345 k=v, application/json";
        let got = redact(echo, &post.secrets());
        for secret in [
            "T01234567",
            "B07654321",
            "abcdefghijklmnopqrst",
            "tok-123456",
            "pw12345",
            "k=v",
        ] {
            assert!(!got.contains(secret), "{secret} in {got}");
        }
        assert!(got.ends_with("application/json"), "{got}");
    }

    #[test]
    fn a_header_set_twice_is_sent_once() {
        let url = url::Url::parse("https://h.example/").unwrap();
        let post = HttpPost::json(url, &serde_json::json!({})).header("Content-Type", "text/plain");
        assert_eq!(
            post.headers,
            vec![("Content-Type".to_owned(), "text/plain".to_owned())]
        );
    }

    #[test]
    fn public_urls_drop_credentials_and_query() {
        let url = url::Url::parse("https://user:pw@g.example/gotify/?token=x#f").unwrap();
        assert_eq!(public_url(&url), "https://g.example/gotify/");
    }
}

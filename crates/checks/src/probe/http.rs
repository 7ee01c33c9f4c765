//! The HTTP probe: one request (or one bounded chain of redirects, when the path asks to follow
//! them), its body read up to the cap, all under one deadline.
//!
//! Redirects are followed the way browsers do: 303 (and 301/302 after a POST) continue with a
//! GET without body, 307/308 repeat the request. The path's request body and extra headers
//! (which may hold credentials) are only sent again to the same origin, unless the path sets
//! `follow_redirects_with_data`. A hop to another host on an internal address is
//! `redirect-blocked` unless the path sets `follow_redirects_to_private` (module `guard`). A
//! target already visited is a `redirect-loop`; more hops than allowed is
//! `too-many-redirects`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetched::Redirect;
use super::timing::{self, Phases};
use super::{FetchError, Fetched, Probe, Request, body, certificate, guard, request, resolve};
use crate::reason::Reason;
use crate::wire::{Method, RequestData};

/// Redirect statuses that are followed (300 and 304 are not redirects to follow).
const FOLLOWED: [u16; 5] = [301, 302, 303, 307, 308];

/// One request of a chain.
struct Hop<'a> {
    url: url::Url,
    method: Method,
    data: Option<&'a RequestData>,
    /// Whether the path's extra headers are still sent (same origin as the URL checked).
    headers: bool,
    /// Whether the hop's addresses must not be internal (another host, not opted in).
    guarded: bool,
}

/// The limits of one fetch, from the path's options or the probe's defaults.
struct Limits {
    deadline: Duration,
    max_body: usize,
    hops: u32,
}

impl Probe {
    /// Sends `req` (following redirects if its options say so) and reads the response, body
    /// capped. Never panics.
    ///
    /// # Errors
    /// A [`FetchError`] when there is no complete response; that is a check result, not a bug.
    #[tracing::instrument(skip_all, fields(url = %req.url, ip = req.ip_version.as_str()))]
    pub async fn fetch(&self, req: &Request) -> Result<Fetched, FetchError> {
        let limits = Limits {
            deadline: self.deadline(&req.options),
            max_body: req.options.max_body_bytes().unwrap_or(self.max_body_bytes),
            hops: req.options.redirects(),
        };
        let started = Instant::now();
        let phases = Arc::new(Phases::default());
        // The URL of the request being sent: where a failed handshake's certificate is read.
        let mut at = req.url.clone();
        let chain = self.follow(req, &limits, &phases, started, &mut at);
        // reqwest's own timeout covers each request; this one also covers our body loop and
        // the whole redirect chain.
        let outcome = tokio::time::timeout(limits.deadline, timing::scope(phases.clone(), chain))
            .await
            .unwrap_or_else(|_| {
                let message = format!("no complete response within {:?}", limits.deadline);
                Err(FetchError::new(Reason::Timeout, message))
            });
        let elapsed = started.elapsed();
        match outcome {
            Ok(mut fetched) => {
                fetched.elapsed = elapsed;
                fetched.timings = phases.timings(elapsed);
                Ok(fetched)
            }
            Err(mut error) => {
                if error.is_certificate() {
                    let budget = limits.deadline.saturating_sub(elapsed);
                    error.certificate = self.peek_certificate(&at, req.ip_version, budget).await;
                }
                error.timings = phases.timings(elapsed);
                Err(error)
            }
        }
    }

    async fn follow(
        &self,
        req: &Request,
        limits: &Limits,
        phases: &Phases,
        started: Instant,
        at: &mut url::Url,
    ) -> Result<Fetched, FetchError> {
        let mut hop = Hop {
            url: req.url.clone(),
            method: req.method,
            data: req.request_data.as_ref(),
            headers: true,
            guarded: false,
        };
        let mut redirects: Vec<Redirect> = Vec::new();
        let mut tls = None;
        loop {
            let remaining = limits.deadline.saturating_sub(started.elapsed());
            at.clone_from(&hop.url);
            if hop.guarded {
                guard::check_hop(&self.dns, &hop.url, req.ip_version).await?;
            }
            // The client would connect to an IP literal of the other family (it binds no
            // local address); a task of one family must not.
            resolve::check_family(&hop.url, req.ip_version)?;
            let resp = self.send(req, &hop, remaining).await?;
            if hop.guarded {
                guard::check_peer(&resp, &hop.url)?;
            }
            if redirects.is_empty() {
                phases.first_byte(started.elapsed());
                tls = certificate::facts(&resp);
            }
            let Some(redirect) = next_hop(&resp, &hop.url, limits.hops, &redirects, req)? else {
                let mut fetched = read(resp, req.url.clone(), limits.max_body).await?;
                fetched.tls = tls;
                fetched.redirects = redirects;
                return Ok(fetched);
            };
            hop = hop.after(&redirect, req);
            redirects.push(redirect);
        }
    }

    async fn send(
        &self,
        req: &Request,
        hop: &Hop<'_>,
        remaining: Duration,
    ) -> Result<reqwest::Response, FetchError> {
        // Method::as_str() is always a valid token.
        let method = reqwest::Method::from_bytes(hop.method.as_str().as_bytes())
            .map_err(|e| FetchError::new(Reason::Other, e.to_string()))?;
        let mut builder = self
            .client(req.ip_version, true)
            .request(method, hop.url.clone())
            .timeout(remaining.max(Duration::from_millis(1)));
        if let Some(data) = hop.data {
            let data = if hop.headers {
                data.clone()
            } else {
                RequestData {
                    headers: None,
                    ..data.clone()
                }
            };
            builder = request::with_data(builder, &data)
                .map_err(|m| FetchError::new(Reason::Other, m))?;
        }
        builder
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(&e))
    }
}

impl<'a> Hop<'a> {
    /// The request that follows `redirect`, for the check of `req`.
    fn after(&self, redirect: &Redirect, req: &Request) -> Hop<'a> {
        let to_get = redirect.status == 303
            || (matches!(redirect.status, 301 | 302) && self.method == Method::Post);
        let options = &req.options;
        let keeps_data =
            redirect.to.origin() == req.url.origin() || options.follow_redirects_with_data;
        Hop {
            url: redirect.to.clone(),
            method: if to_get { Method::Get } else { self.method },
            data: if to_get || !keeps_data {
                None
            } else {
                self.data
            },
            headers: self.headers && keeps_data,
            guarded: !options.follow_redirects_to_private
                && redirect.to.host_str() != req.url.host_str(),
        }
    }
}

/// The redirect to follow from `resp`, if any (and if following is on); an error when the
/// chain must stop: a loop, too many hops, or a `Location` that is not an http(s) URL.
fn next_hop(
    resp: &reqwest::Response,
    url: &url::Url,
    hops: u32,
    done: &[Redirect],
    req: &Request,
) -> Result<Option<Redirect>, FetchError> {
    let status = resp.status().as_u16();
    if hops == 0 || !FOLLOWED.contains(&status) {
        return Ok(None);
    }
    let Some(location) = resp.headers().get(reqwest::header::LOCATION) else {
        return Ok(None); // a redirect status without a target: the answer to check
    };
    let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
    let to = match url.join(&location) {
        Ok(to) if matches!(to.scheme(), "http" | "https") => to,
        _ => {
            let message = format!("{url} redirects to {location:?}, which is not an http(s) URL");
            return Err(FetchError::new(Reason::BadRedirect, message));
        }
    };
    if to == req.url || done.iter().any(|r| r.to == to) {
        let message = format!("redirect loop: {url} sends back to {to}");
        return Err(FetchError::new(Reason::RedirectLoop, message));
    }
    if done.len() >= hops as usize {
        let message = format!("more than {hops} redirects (the last one to {to})");
        return Err(FetchError::new(Reason::TooManyRedirects, message));
    }
    Ok(Some(Redirect {
        url: url.clone(),
        status,
        location,
        to,
    }))
}

/// Reads status, headers (as the site sent them) and the body (at most `max_body` bytes,
/// inflated) of `resp`.
async fn read(
    mut resp: reqwest::Response,
    url: url::Url,
    max_body: usize,
) -> Result<Fetched, FetchError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (n.as_str().to_owned(), value)
        })
        .collect();
    let encoding = resp.headers().get(reqwest::header::CONTENT_ENCODING);
    let gzip = body::is_gzip(encoding.and_then(|v| v.to_str().ok()));
    let body = body::read(&mut resp, max_body, gzip).await?;
    Ok(Fetched {
        url,
        status,
        headers,
        body: body.bytes,
        body_truncated: body.truncated,
        elapsed: Duration::ZERO, // set by `fetch`, which knows when the chain started
        tls: None,
        redirects: Vec::new(),
        timings: timing::Timings::default(),
    })
}

/// A failure while reading the body is a `body` failure, unless it is the deadline.
pub(super) fn body_error(err: &reqwest::Error) -> FetchError {
    let mut fe = FetchError::from_reqwest(err);
    if !matches!(fe.reason, Reason::Timeout | Reason::Protocol) {
        fe.reason = Reason::Body;
    }
    fe
}

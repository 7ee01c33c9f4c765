//! The HTTP side of a check: one reqwest client per IP family, built once, and [`Probe::fetch`],
//! which sends one request and reads the answer into a [`Fetched`], or says why it could not
//! as a [`FetchError`] with a machine-readable `reason`.
//!
//! Choices, and why:
//! - redirects are not followed: checks look at the first answer (`http-to-https` needs it);
//! - no idle connection is kept (`pool_max_idle_per_host(0)`), so every check really measures
//!   connect and TLS;
//! - binding to `0.0.0.0` or `::` keeps each client on its family, and [`resolve`] only
//!   returns addresses of that family;
//! - the body is streamed and cut at `max_body_bytes`, and one deadline covers the whole
//!   exchange, so a hostile or broken site costs bounded memory and time;
//! - trust: the system store plus extra roots, see the `trust` module (private) for details.

mod classify;
mod fetched;
mod request;
pub mod resolve;
mod trust;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use chrono::DateTime;

pub use fetched::{Fetched, TlsFacts};
pub use request::{Request, check_request_data};

use crate::Outcome;
use crate::wire::IpVersion;

/// How long one request may take, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a body is read; the rest is dropped and `body_truncated` set.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How the probe's clients behave.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Deadline for one request, from connect to the last body byte read.
    pub timeout: Duration,
    /// Body bytes read at most.
    pub max_body_bytes: usize,
    /// Extra trusted CA certificates, each a PEM text (one or more certificates).
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            user_agent: format!(
                "Argos/{} (+https://argos-monitoring.framasoft.org/)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            extra_roots_pem: Vec::new(),
        }
    }
}

/// Why the probe could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// An extra root certificate is unusable.
    #[error("trusted certificates: {0}")]
    Certificates(String),
    /// reqwest refused the client configuration.
    #[error("building the HTTP client")]
    Client(#[from] reqwest::Error),
}

/// Why a request got no (complete) response.
#[derive(Debug, Clone)]
pub struct FetchError {
    /// `timeout`, `dns`, `connect`, `tls-expired`, `tls-not-yet-valid`, `tls-untrusted`,
    /// `tls-hostname`, `tls`, `protocol`, `body` or `other`.
    pub reason: &'static str,
    /// A short type name for the context (`Timeout`, `TlsError`, ...).
    pub error_type: String,
    /// What happened, in words.
    pub message: String,
    /// Time spent before giving up.
    pub elapsed: Duration,
}

impl FetchError {
    /// The failure every check of the request group reports.
    pub fn to_outcome(&self) -> Outcome {
        Outcome::request_failed(&self.error_type, self.reason, self.message.clone())
    }

    fn new(reason: &'static str, message: String, elapsed: Duration) -> FetchError {
        FetchError {
            reason,
            error_type: classify::error_type(reason).to_owned(),
            message,
            elapsed,
        }
    }

    fn from_reqwest(err: &reqwest::Error, elapsed: Duration) -> FetchError {
        FetchError::new(classify::reason(err), classify::message(err), elapsed)
    }
}

/// The HTTP clients used to run checks. Build once and share (it is cheap to borrow).
#[derive(Debug, Clone)]
pub struct Probe {
    v4: reqwest::Client,
    v6: reqwest::Client,
    timeout: Duration,
    max_body_bytes: usize,
}

impl Probe {
    /// Builds both clients.
    ///
    /// # Errors
    /// When an extra root certificate is unusable, or no trust store can be loaded.
    pub fn new(opts: ProbeOptions) -> Result<Probe, ProbeError> {
        let roots = trust::extra_roots(&opts.extra_roots_pem)?;
        let client = |family: IpVersion| {
            let local = match family {
                IpVersion::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpVersion::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            reqwest::Client::builder()
                .user_agent(opts.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                .tls_info(true)
                .tls_certs_merge(roots.clone())
                .pool_max_idle_per_host(0)
                .local_address(local)
                .dns_resolver(resolve::FamilyResolver { family })
                .timeout(opts.timeout)
                .build()
        };
        Ok(Probe {
            v4: client(IpVersion::V4)?,
            v6: client(IpVersion::V6)?,
            timeout: opts.timeout,
            max_body_bytes: opts.max_body_bytes,
        })
    }

    /// Sends `req` and reads the response (body capped). Never panics.
    ///
    /// # Errors
    /// A [`FetchError`] when there is no complete response; that is a check result, not a bug.
    #[tracing::instrument(skip_all, fields(url = %req.url, ip = req.ip_version.as_str()))]
    pub async fn fetch(&self, req: &Request) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let builder = match self.request(req) {
            Ok(builder) => builder,
            Err(message) => return Err(FetchError::new("other", message, started.elapsed())),
        };
        // reqwest's timeout covers the body too; this outer deadline is a second guard for
        // the parts we drive ourselves (the chunk loop).
        match tokio::time::timeout(self.timeout, self.exchange(builder, req, started)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::new(
                "timeout",
                format!("no complete response within {:?}", self.timeout),
                started.elapsed(),
            )),
        }
    }

    fn request(&self, req: &Request) -> Result<reqwest::RequestBuilder, String> {
        let client = match req.ip_version {
            IpVersion::V4 => &self.v4,
            IpVersion::V6 => &self.v6,
        };
        // Method::as_str() is always a valid token.
        let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .map_err(|e| e.to_string())?;
        let builder = client.request(method, req.url.clone());
        match &req.request_data {
            Some(data) => request::with_data(builder, data),
            None => Ok(builder),
        }
    }

    async fn exchange(
        &self,
        builder: reqwest::RequestBuilder,
        req: &Request,
        started: Instant,
    ) -> Result<Fetched, FetchError> {
        let mut resp = builder
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(&e, started.elapsed()))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let tls = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(tls_facts);
        let mut body = Vec::new();
        let mut body_truncated = false;
        while let Some(chunk) = resp.chunk().await.map_err(|e| body_error(&e, started))? {
            let room = self.max_body_bytes - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                body_truncated = true;
                break; // dropping `resp` closes the connection
            }
            body.extend_from_slice(&chunk);
        }
        let elapsed = started.elapsed();
        Ok(Fetched {
            url: req.url.clone(),
            status,
            headers,
            body,
            body_truncated,
            elapsed,
            tls,
        })
    }
}

/// A failure while reading the body is a `body` failure, unless it is the deadline.
fn body_error(err: &reqwest::Error, started: Instant) -> FetchError {
    let mut fe = FetchError::from_reqwest(err, started.elapsed());
    if !matches!(fe.reason, "timeout" | "protocol") {
        fe.reason = "body";
        fe.error_type = classify::error_type("body").to_owned();
    }
    fe
}

fn tls_facts(info: &reqwest::tls::TlsInfo) -> Option<TlsFacts> {
    let der = info.peer_certificate()?;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)?;
    Some(TlsFacts { not_after })
}

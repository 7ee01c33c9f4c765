//! What a check looks at, and how it is obtained: the three probes ([`Job`] → [`Answer`]) and
//! the clients they share. An HTTP request ([`Probe::fetch`]) gives a [`Fetched`] response, a
//! TCP connect ([`Probe::connect`]) a [`Connected`], a DNS lookup ([`Probe::lookup`]) a
//! [`Resolved`]; when there is nothing to look at, a [`FetchError`] says why with a
//! machine-readable `reason`. No probe panics or returns early on a hostile site.
//!
//! Choices, and why:
//! - one reqwest client per IP family, built once; its resolver ([`resolve`]) only returns
//!   addresses of its family and IP literals of the other family are refused, so no connection
//!   binds a local address (the kernel's port search then dominated the agent's CPU);
//! - lookups go through one [`DnsCache`] shared by all clients: a name is resolved once per
//!   TTL, not once per check, and failures are not kept;
//! - redirects are not followed unless the path asks (`follow_redirects`): checks look at the
//!   first answer by default (`http-to-https` needs it), and a followed chain is bounded and
//!   stops on loops;
//! - no idle connection is kept (`pool_max_idle_per_host(0)`), so every check really measures
//!   connect and TLS (see `timing` for the phases);
//! - the body is streamed and cut at `max_body_bytes` (inflated size, for gzip, which the
//!   probe inflates itself so the headers stay as sent: module `body`), and one deadline
//!   covers the whole probe, so a hostile or broken site costs bounded memory and time;
//! - trust: the system store plus extra roots (module `trust`). When a handshake fails on the
//!   certificate, a second client that verifies nothing reads its `notAfter`, so every HTTPS
//!   result carries the days to expiry (module `certificate`).

mod body;
pub mod cache;
mod certificate;
mod charset;
mod classify;
pub mod crypto;
mod dns;
mod fetched;
mod guard;
mod http;
mod request;
pub mod resolve;
mod tcp;
mod timing;
mod trust;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

pub use cache::{DnsCache, Lookup, SystemLookup};
pub use dns::Resolved;
pub use fetched::{Fetched, Redirect, TlsFacts};
pub use request::{Request, check_request_data};
pub use tcp::{Connected, Endpoint};
pub use timing::Timings;
pub(crate) use timing::millis;

use crate::Outcome;
use crate::reason::Reason;
use crate::wire::IpVersion;

/// How long one probe may take, body included (a path's `timeout` overrides it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a body is read; the rest is dropped and `body_truncated` set (a path's
/// `max_body_bytes` overrides it).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How the probe's clients behave.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Deadline for one probe, from connect to the last body byte read.
    pub timeout: Duration,
    /// Body bytes read at most.
    pub max_body_bytes: usize,
    /// Extra trusted CA certificates, each a PEM text (one or more certificates).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// How long the addresses of a name are kept (zero: resolve for every check).
    pub dns_ttl: Duration,
    /// Names whose addresses are kept at most.
    pub dns_cache_names: usize,
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
            dns_ttl: cache::DEFAULT_DNS_TTL,
            dns_cache_names: cache::DEFAULT_DNS_CACHE_NAMES,
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

/// Why a probe got nothing to check (no complete response, no connection, no address).
#[derive(Debug, Clone)]
pub struct FetchError {
    /// Why, for machines (a probe's reasons: never `http-status`, `slow` or `expectation`).
    pub reason: Reason,
    /// What happened, in words.
    pub message: String,
    /// The phases measured before giving up; `total` is the time spent.
    pub timings: Timings,
    /// The certificate presented, when the handshake failed because of it.
    pub certificate: Option<TlsFacts>,
    /// For a TCP connect: the name resolved and every address refused the connection or never
    /// answered, so the port is known to be closed (what `port-open: false` wants). A DNS
    /// failure or timeout, no route to the network, or an address of the wrong family says
    /// nothing about the port.
    pub port_closed: bool,
}

impl FetchError {
    /// The failure every check of the request group reports (status `failure`).
    pub fn to_outcome(&self) -> Outcome {
        Outcome::request_failed(self.reason, self.message.clone())
    }

    /// A short type name for the context (`Timeout`, `TlsError`, ...), from the reason.
    pub fn error_type(&self) -> &'static str {
        self.reason.error_type()
    }

    /// Whether the handshake failed on the certificate itself (expired, untrusted, ...).
    pub fn is_certificate(&self) -> bool {
        self.reason.is_certificate()
    }

    /// A failure for `reason`, with no timings or certificate yet.
    pub fn new(reason: Reason, message: String) -> FetchError {
        FetchError {
            reason,
            message,
            timings: Timings::default(),
            certificate: None,
            port_closed: false,
        }
    }

    fn from_reqwest(err: &reqwest::Error) -> FetchError {
        FetchError::new(classify::reason(err), classify::message(err))
    }
}

/// What a check needs to be done, one per request group.
#[derive(Debug, Clone)]
pub enum Job {
    /// An HTTP request.
    Http(Request),
    /// A TCP connection to a port.
    Tcp(Endpoint),
    /// A DNS lookup of a host name (the endpoint's port is not used).
    Dns(Endpoint),
}

/// What a [`Job`] found.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The response, or why there is none.
    Http(Result<Fetched, FetchError>),
    /// The connection, or why there is none (which `port-open: false` wants).
    Tcp(Result<Connected, FetchError>),
    /// The addresses, or why there are none.
    Dns(Result<Resolved, FetchError>),
}

impl Answer {
    /// How long the probe took.
    pub fn elapsed(&self) -> Duration {
        match self {
            Answer::Http(Ok(f)) => f.elapsed,
            Answer::Tcp(Ok(c)) => c.timings.total,
            Answer::Dns(Ok(r)) => r.timings.total,
            Answer::Http(Err(e)) | Answer::Tcp(Err(e)) | Answer::Dns(Err(e)) => e.timings.total,
        }
    }

    /// Adds what every result of this probe shows, whatever the check: `timings`, and for
    /// HTTPS `certificate` (days to expiry) and the `redirects` followed.
    pub fn annotate(&self, outcome: Outcome) -> Outcome {
        let (timings, certificate, redirects) = match self {
            Answer::Http(Ok(f)) => (f.timings, f.tls.as_ref(), f.redirects.as_slice()),
            Answer::Tcp(Ok(c)) => (c.timings, None, &[][..]),
            Answer::Dns(Ok(r)) => (r.timings, None, &[][..]),
            Answer::Http(Err(e)) | Answer::Tcp(Err(e)) | Answer::Dns(Err(e)) => {
                (e.timings, e.certificate.as_ref(), &[][..])
            }
        };
        let mut outcome = outcome.with("timings", timings.to_json());
        if let Some(cert) = certificate {
            outcome = outcome.with("certificate", cert.to_json(Utc::now()));
        }
        if !redirects.is_empty() {
            let hops: Vec<_> = redirects
                .iter()
                .map(|r| serde_json::json!({"url": r.url.as_str(), "status": r.status, "location": r.location}))
                .collect();
            outcome = outcome.with("redirects", hops);
        }
        outcome
    }
}

/// The headers of every request unless the path sets them: `Accept-Encoding: gzip`, as
/// browsers (and the reference's agent) send it, and `Connection: close`, since no connection
/// is reused. The site then closes first: the `TIME_WAIT` socket stays on its side instead of
/// taking one of the agent's ephemeral ports for a minute (a cold start opens thousands of
/// connections a second), and hyper drops the connection after the answer instead of
/// keeping a read buffer for a next one (6 MB of the agent's heap at 1,000 checks in flight).
fn default_headers() -> reqwest::header::HeaderMap {
    use reqwest::header::{ACCEPT_ENCODING, CONNECTION, HeaderValue};
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    headers
}

/// The clients used to run checks. Build once and share (it is cheap to borrow).
#[derive(Debug, Clone)]
pub struct Probe {
    v4: reqwest::Client,
    v6: reqwest::Client,
    /// Verify nothing: only used to read the certificate of a failed handshake.
    insecure_v4: reqwest::Client,
    insecure_v6: reqwest::Client,
    timeout: Duration,
    max_body_bytes: usize,
    dns: Arc<DnsCache>,
}

impl Probe {
    /// Builds the clients, resolving names with the system resolver.
    ///
    /// # Errors
    /// When an extra root certificate is unusable, or no trust store can be loaded.
    pub fn new(opts: ProbeOptions) -> Result<Probe, ProbeError> {
        Probe::with_lookup(opts, Arc::new(SystemLookup))
    }

    /// Builds the clients, resolving names with `lookup` (behind the cache).
    ///
    /// # Errors
    /// When an extra root certificate is unusable, or no trust store can be loaded.
    pub fn with_lookup(opts: ProbeOptions, lookup: Arc<dyn Lookup>) -> Result<Probe, ProbeError> {
        let roots = trust::extra_roots(&opts.extra_roots_pem)?;
        let dns = Arc::new(DnsCache::new(lookup, opts.dns_ttl, opts.dns_cache_names));
        let client = |family: IpVersion, verify: bool| {
            let cache = dns.clone();
            reqwest::Client::builder()
                .user_agent(opts.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                // Inflated by `body`, so that the headers stay as the site sent them.
                .no_gzip()
                .default_headers(default_headers())
                .tls_info(true)
                .tls_certs_merge(roots.clone())
                .tls_danger_accept_invalid_certs(!verify)
                .pool_max_idle_per_host(0)
                .dns_resolver(resolve::FamilyResolver { family, cache })
                .connector_layer(timing::TimeConnect)
                // Divided among a name's addresses by hyper: a first address that never
                // answers gives way to the next one instead of costing the whole deadline.
                .connect_timeout(opts.timeout)
                .timeout(opts.timeout)
                .build()
        };
        Ok(Probe {
            v4: client(IpVersion::V4, true)?,
            v6: client(IpVersion::V6, true)?,
            insecure_v4: client(IpVersion::V4, false)?,
            insecure_v6: client(IpVersion::V6, false)?,
            timeout: opts.timeout,
            max_body_bytes: opts.max_body_bytes,
            dns,
        })
    }

    /// Runs one job. Never panics.
    pub async fn run(&self, job: &Job) -> Answer {
        match job {
            Job::Http(req) => Answer::Http(self.fetch(req).await),
            Job::Tcp(endpoint) => Answer::Tcp(self.connect(endpoint).await),
            Job::Dns(endpoint) => Answer::Dns(self.lookup(endpoint).await),
        }
    }

    /// The deadline of a probe with `options`: the path's, or the agent's.
    fn deadline(&self, options: &crate::options::RequestOptions) -> Duration {
        options.timeout().unwrap_or(self.timeout)
    }

    fn client(&self, family: IpVersion, verify: bool) -> &reqwest::Client {
        match (family, verify) {
            (IpVersion::V4, true) => &self.v4,
            (IpVersion::V6, true) => &self.v6,
            (IpVersion::V4, false) => &self.insecure_v4,
            (IpVersion::V6, false) => &self.insecure_v6,
        }
    }
}

//! The TCP probe: can a connection to `host:port` be opened? The connection is closed at once;
//! nothing is sent.
//!
//! Each address of the task's family is tried in the resolver's order until one accepts, all
//! within the probe's deadline; the last failure is the one reported.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::cache::DnsCache;
use super::resolve::{family_of, lookup};
use super::timing::Timings;
use super::{FetchError, Probe};
use crate::options::RequestOptions;
use crate::reason::Reason;
use crate::wire::IpVersion;

/// Where a TCP or DNS probe goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// A host name or an IP address (without brackets).
    pub host: String,
    /// The port (not used by DNS lookups).
    pub port: u16,
    /// The family to use.
    pub ip_version: IpVersion,
    /// The path's options (only `timeout` applies).
    pub options: RequestOptions,
}

impl Endpoint {
    /// The host and port of `url` (the scheme's default port when none is written).
    ///
    /// # Errors
    /// When `url` has no host, or no port and a scheme without a default one.
    pub fn from_url(
        url: &url::Url,
        ip_version: IpVersion,
        options: RequestOptions,
    ) -> Result<Endpoint, String> {
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(format!("{url} has no host")),
        };
        let port = match (url.port_or_known_default(), url.scheme()) {
            (Some(port), _) => port,
            (None, "tcp") => return Err(format!("{url} has no port")),
            // A DNS lookup needs no port; a TCP connect on such a URL was refused by config.
            (None, _) => 0,
        };
        Ok(Endpoint {
            host,
            port,
            ip_version,
            options,
        })
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// An open connection (already closed again).
#[derive(Debug, Clone)]
pub struct Connected {
    /// The address that accepted.
    pub address: SocketAddr,
    /// DNS (for a host name), connect and total.
    pub timings: Timings,
}

impl Probe {
    /// Opens (and closes) a TCP connection to `endpoint`. Never panics.
    ///
    /// # Errors
    /// A [`FetchError`] (`dns`, `connect` or `timeout`) when no address accepts.
    #[tracing::instrument(skip_all, fields(endpoint = %endpoint.authority()))]
    pub async fn connect(&self, endpoint: &Endpoint) -> Result<Connected, FetchError> {
        let deadline = self.deadline(&endpoint.options);
        let started = Instant::now();
        let mut progress = Progress {
            timings: Timings::default(),
            resolved: false,
            all_closed: true,
        };
        let ends = started + deadline;
        let attempt =
            tokio::time::timeout(deadline, open(&self.dns, endpoint, ends, &mut progress));
        let result = match attempt.await {
            Ok(result) => result,
            Err(_) => {
                let mut e = FetchError::new(
                    Reason::Timeout,
                    format!(
                        "no connection to {} within {deadline:?}",
                        endpoint.authority()
                    ),
                );
                // Silence after the name resolved is a closed (filtered) port; a timeout
                // while resolving says nothing about it.
                e.port_closed = progress.resolved && progress.all_closed;
                Err(e)
            }
        };
        let mut timings = progress.timings;
        timings.total = started.elapsed();
        result
            .map(|address| Connected { address, timings })
            .map_err(|mut e| {
                e.timings = timings;
                e
            })
    }
}

/// How far a connect went, kept outside its future so that a timeout can tell.
struct Progress {
    timings: Timings,
    /// The addresses are known (resolved, or an IP address of the task's family).
    resolved: bool,
    /// Every address tried so far refused or did not answer.
    all_closed: bool,
}

async fn open(
    dns: &DnsCache,
    endpoint: &Endpoint,
    ends: Instant,
    progress: &mut Progress,
) -> Result<SocketAddr, FetchError> {
    let addresses = match endpoint.host.parse::<IpAddr>() {
        Ok(ip) if family_of(ip) == endpoint.ip_version => vec![SocketAddr::new(ip, endpoint.port)],
        Ok(ip) => {
            let message = format!("{ip} is not an IPv{} address", endpoint.ip_version.as_str());
            return Err(FetchError::new(Reason::Connect, message));
        }
        Err(_) => {
            let started = Instant::now();
            let found = lookup(dns, &endpoint.host, endpoint.ip_version).await;
            progress.timings.dns = Some(started.elapsed());
            let found = found.map_err(|e| FetchError::new(Reason::Dns, e.to_string()))?;
            found
                .into_iter()
                .map(|a| SocketAddr::new(a.ip(), endpoint.port))
                .collect()
        }
    };
    progress.resolved = !addresses.is_empty();
    first_answering(&addresses, ends, progress).await
}

/// Connects to each address in turn until one accepts. An address that never answers gets
/// its share of the time left (the last one all of it), so that a dead first address does
/// not cost the whole deadline when another one answers, as in curl.
async fn first_answering(
    addresses: &[SocketAddr],
    ends: Instant,
    progress: &mut Progress,
) -> Result<SocketAddr, FetchError> {
    let started = Instant::now();
    let mut last = None;
    for (i, &address) in addresses.iter().enumerate() {
        let share = ends.saturating_duration_since(Instant::now()) / (addresses.len() - i) as u32;
        match tokio::time::timeout(share, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(_stream)) => {
                progress.timings.connect = Some(started.elapsed());
                return Ok(address);
            }
            Ok(Err(e)) => {
                let error = connect_error(address, &e);
                progress.all_closed &= error.port_closed;
                last = Some(error);
            }
            Err(_) => {
                let message = format!("{address} did not answer within {share:?}");
                let mut error = FetchError::new(Reason::Timeout, message);
                error.port_closed = true;
                last = Some(error);
            }
        }
    }
    let mut error =
        last.unwrap_or_else(|| FetchError::new(Reason::Connect, "no address to connect to".into()));
    error.port_closed = progress.resolved && progress.all_closed;
    Err(error)
}

fn connect_error(address: SocketAddr, err: &std::io::Error) -> FetchError {
    use std::io::ErrorKind;
    let reason = if err.kind() == ErrorKind::TimedOut {
        Reason::Timeout
    } else {
        Reason::Connect
    };
    let mut error = FetchError::new(reason, format!("cannot connect to {address}: {err}"));
    // Refused: the host answered that nothing listens. Timed out: the host (or a firewall on
    // the way) stayed silent. Anything else (no route, address unavailable) is about the
    // network, not the port.
    error.port_closed = matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::TimedOut
    );
    error
}

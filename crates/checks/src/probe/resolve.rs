//! Name resolution restricted to one IP family, through the probe's [`DnsCache`].
//!
//! This is what keeps each client on its family: its resolver only hands out addresses of
//! that family, and URLs whose host is an IP address of the other family are refused before
//! any connection ([`check_family`]; hyper-util connects to an IP literal without asking the
//! resolver). Binding the client to `0.0.0.0` or `::` would do the same, but then every
//! connection takes its port through the kernel's bind path (`inet_csk_get_port`), which costs
//! most of an agent's CPU at a few hundred connections per second and fails with
//! address-in-use errors once TIME_WAIT sockets pile up.
//!
//! Resolving ourselves (rather than with reqwest's resolver) also gives a [`DnsError`] that
//! classification can downcast to, a clear message when a host has no address of the family
//! asked for (e.g. no AAAA record), and the lookup's duration. The same [`lookup`] serves the
//! HTTP, TCP and DNS probes.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::cache::{DnsCache, Found};
use super::{FetchError, timing};
use crate::reason::Reason;
use crate::wire::IpVersion;

/// A host name that did not resolve to an address of the wanted family.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DnsError {
    message: String,
    #[source]
    source: Option<Arc<std::io::Error>>,
}

/// The addresses of `host` in `family` (port 0), in the resolver's order, without duplicates
/// (getaddrinfo lists an address once per socket type), from `cache` when it has them.
///
/// # Errors
/// When the name does not resolve, or has no address of `family`.
pub async fn lookup(
    cache: &DnsCache,
    host: &str,
    family: IpVersion,
) -> Result<Vec<SocketAddr>, DnsError> {
    of_family(host, family, cache.resolve(host).await)
}

/// Like [`lookup`], always asking the resolver (the DNS probe measures the lookup itself).
///
/// # Errors
/// When the name does not resolve, or has no address of `family`.
pub async fn lookup_fresh(
    cache: &DnsCache,
    host: &str,
    family: IpVersion,
) -> Result<Vec<SocketAddr>, DnsError> {
    of_family(host, family, cache.refresh(host).await)
}

fn of_family(host: &str, family: IpVersion, found: Found) -> Result<Vec<SocketAddr>, DnsError> {
    let found = found.map_err(|e| DnsError {
        message: format!("cannot resolve {host}: {e}"),
        source: Some(e),
    })?;
    let mut wanted: Vec<SocketAddr> = Vec::new();
    for ip in found.iter().filter(|ip| family_of(**ip) == family) {
        let addr = SocketAddr::new(*ip, 0);
        if !wanted.contains(&addr) {
            wanted.push(addr);
        }
    }
    if wanted.is_empty() {
        let record = if family == IpVersion::V4 { "A" } else { "AAAA" };
        return Err(DnsError {
            message: format!(
                "{host} has no IPv{} address ({record} record)",
                family.as_str()
            ),
            source: None,
        });
    }
    Ok(wanted)
}

/// Refuses a URL whose host is an IP address of the other family: the client of `family`
/// must not reach it (an IPv4 task on `http://[::1]/` fails, as it would without IPv6).
pub(crate) fn check_family(url: &url::Url, family: IpVersion) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if family_of(ip) == family {
        return Ok(());
    }
    let message = format!("{ip} is not an IPv{} address", family.as_str());
    Err(FetchError::new(Reason::Connect, message))
}

/// The family of `ip`.
pub(crate) fn family_of(ip: IpAddr) -> IpVersion {
    match ip {
        IpAddr::V4(_) => IpVersion::V4,
        IpAddr::V6(_) => IpVersion::V6,
    }
}

/// [`lookup`] as reqwest's resolver, timed into the current probe's phases.
#[derive(Debug, Clone)]
pub(crate) struct FamilyResolver {
    pub(crate) family: IpVersion,
    pub(crate) cache: Arc<DnsCache>,
}

impl Resolve for FamilyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let (family, cache) = (self.family, self.cache.clone());
        // Taken now: `resolve` is called inside the request's future.
        let cell = timing::current();
        Box::pin(async move {
            let started = Instant::now();
            let found = lookup(&cache, &host, family).await;
            timing::record_dns(cell.as_ref(), started.elapsed());
            // Port 0: reqwest puts the URL's port (or the scheme's default) in afterwards.
            Ok(Box::new(found?.into_iter()) as Addrs)
        })
    }
}

//! Name resolution restricted to one IP family, with the system resolver.
//!
//! reqwest's default resolver already ends in a family filter once `local_address` is set,
//! but its failures are a private hyper-util type that can only be recognised by its text.
//! Resolving ourselves gives a [`DnsError`] that classification can downcast to, a clear
//! message when a host has no address of the family asked for (e.g. no AAAA record), and the
//! lookup's duration. The same [`lookup`] serves the TCP and DNS probes.
//!
//! `tokio::net::lookup_host` runs getaddrinfo on the blocking pool, never on a worker thread.

use std::net::SocketAddr;
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::timing;
use crate::wire::IpVersion;

/// A host name that did not resolve to an address of the wanted family.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DnsError {
    message: String,
    #[source]
    source: Option<std::io::Error>,
}

/// The addresses of `host` in `family` (port 0), in the resolver's order, without duplicates
/// (getaddrinfo lists an address once per socket type).
///
/// # Errors
/// When the name does not resolve, or has no address of `family`.
pub async fn lookup(host: &str, family: IpVersion) -> Result<Vec<SocketAddr>, DnsError> {
    let found = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| DnsError {
            message: format!("cannot resolve {host}: {e}"),
            source: Some(e),
        })?;
    let mut wanted: Vec<SocketAddr> = Vec::new();
    for addr in found.filter(|a| is_family(a, family)) {
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

/// [`lookup`] as reqwest's resolver, timed into the current probe's phases.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyResolver {
    pub(crate) family: IpVersion,
}

impl Resolve for FamilyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let family = self.family;
        // Taken now: `resolve` is called inside the request's future.
        let cell = timing::current();
        Box::pin(async move {
            let started = Instant::now();
            let found = lookup(&host, family).await;
            timing::record_dns(cell.as_ref(), started.elapsed());
            // Port 0: reqwest puts the URL's port (or the scheme's default) in afterwards.
            Ok(Box::new(found?.into_iter()) as Addrs)
        })
    }
}

fn is_family(addr: &SocketAddr, family: IpVersion) -> bool {
    match family {
        IpVersion::V4 => addr.is_ipv4(),
        IpVersion::V6 => addr.is_ipv6(),
    }
}

//! Name resolution restricted to one IP family.
//!
//! reqwest's default resolver already ends in a family filter once `local_address` is set,
//! but its failures are a private hyper-util type that can only be recognised by its text.
//! Resolving ourselves gives a [`DnsError`] that classification can downcast to, and a clear
//! message when a host has no address of the family asked for (e.g. no AAAA record).

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::wire::IpVersion;

/// A host name that did not resolve to an address of the wanted family.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DnsError {
    message: String,
    #[source]
    source: Option<std::io::Error>,
}

/// Resolves with the system resolver (getaddrinfo) and keeps one family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyResolver {
    pub(crate) family: IpVersion,
}

impl Resolve for FamilyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let family = self.family;
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's default) in afterwards.
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| DnsError {
                    message: format!("cannot resolve {host}: {e}"),
                    source: Some(e),
                })?;
            let wanted: Vec<SocketAddr> = found.filter(|a| is_family(a, family)).collect();
            if wanted.is_empty() {
                let record = if family == IpVersion::V4 { "A" } else { "AAAA" };
                return Err(Box::new(DnsError {
                    message: format!(
                        "{host} has no IPv{} address ({record} record)",
                        family.as_str()
                    ),
                    source: None,
                }) as _);
            }
            Ok(Box::new(wanted.into_iter()) as Addrs)
        })
    }
}

fn is_family(addr: &SocketAddr, family: IpVersion) -> bool {
    match family {
        IpVersion::V4 => addr.is_ipv4(),
        IpVersion::V6 => addr.is_ipv6(),
    }
}

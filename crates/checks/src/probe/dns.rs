//! The DNS probe: the addresses a host name resolves to in the task's family (A records for
//! IPv4 tasks, AAAA for IPv6), through the system resolver as every other probe uses it.
//! It always asks the resolver (it measures the lookup), and its answer refreshes the probe's
//! cache for the other checks of the name.

use std::net::IpAddr;
use std::time::Instant;

use super::resolve::lookup_fresh;
use super::tcp::Endpoint;
use super::timing::Timings;
use super::{FetchError, Probe};
use crate::reason::Reason;
use crate::wire::IpVersion;

/// What a name resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The name looked up.
    pub host: String,
    /// The family looked up.
    pub ip_version: IpVersion,
    /// Its addresses in that family (never empty), in the resolver's order, without duplicates.
    pub addresses: Vec<IpAddr>,
    /// The lookup's duration (`dns` and `total`).
    pub timings: Timings,
}

impl Probe {
    /// Resolves `endpoint.host` in `endpoint.ip_version`. Never panics.
    ///
    /// # Errors
    /// A [`FetchError`] (`dns` or `timeout`) when there is no address of the family.
    #[tracing::instrument(skip_all, fields(host = %endpoint.host))]
    pub async fn lookup(&self, endpoint: &Endpoint) -> Result<Resolved, FetchError> {
        let deadline = self.deadline(&endpoint.options);
        let started = Instant::now();
        let found = lookup_fresh(&self.dns, &endpoint.host, endpoint.ip_version);
        let found = tokio::time::timeout(deadline, found);
        let result = match found.await {
            Ok(Ok(addrs)) => Ok(addrs.into_iter().map(|a| a.ip()).collect()),
            Ok(Err(e)) => Err(FetchError::new(Reason::Dns, e.to_string())),
            Err(_) => Err(FetchError::new(
                Reason::Timeout,
                format!("{} did not resolve within {deadline:?}", endpoint.host),
            )),
        };
        let took = started.elapsed();
        let timings = Timings {
            dns: Some(took),
            total: took,
            ..Timings::default()
        };
        match result {
            Ok(addresses) => Ok(Resolved {
                host: endpoint.host.clone(),
                ip_version: endpoint.ip_version,
                addresses,
                timings,
            }),
            Err(mut e) => {
                e.timings = timings;
                Err(e)
            }
        }
    }
}

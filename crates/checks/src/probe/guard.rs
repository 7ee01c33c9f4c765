//! Where a followed redirect may go.
//!
//! A site the agent checks may redirect it anywhere, and what the agent fetches shows in
//! results (a `json-*` check's `retrieved`, a header map...). So a hop to another host whose
//! address is loopback, private (RFC 1918, unique local), link-local, shared (100.64/10) or
//! unspecified stops the check with `redirect-blocked`, unless the path sets
//! `follow_redirects_to_private: true`. The URL configured is never checked (users monitor
//! their intranets), nor a hop on its own host (http → https on an intranet site): neither
//! reaches anything the configuration did not name.
//!
//! The addresses checked are the resolved ones, not only the literal host: before the hop is
//! sent, its host is resolved and every address checked; after it, the address actually
//! connected to is checked again (a name may resolve differently the second time), and the
//! answer is thrown away if it is internal.

use std::net::IpAddr;

use super::FetchError;
use super::cache::DnsCache;
use super::resolve::lookup;
use crate::reason::Reason;
use crate::wire::IpVersion;

/// Whether `ip` is an address only the agent's own network can reach.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Refuses a hop to `to` when its host is (or resolves to) an internal address.
pub(super) async fn check_hop(
    dns: &DnsCache,
    to: &url::Url,
    family: IpVersion,
) -> Result<(), FetchError> {
    let addresses = match to.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        // A name that does not resolve fails when the hop is sent, with its own reason.
        Some(url::Host::Domain(name)) => match lookup(dns, name, family).await {
            Ok(found) => found.into_iter().map(|a| a.ip()).collect(),
            Err(_) => return Ok(()),
        },
        None => Vec::new(),
    };
    match addresses.into_iter().find(|ip| is_internal(*ip)) {
        Some(ip) => Err(blocked(to, ip)),
        None => Ok(()),
    }
}

/// Refuses the answer of a hop that was served from an internal address after all.
pub(super) fn check_peer(resp: &reqwest::Response, to: &url::Url) -> Result<(), FetchError> {
    match resp.remote_addr().map(|a| a.ip()) {
        Some(ip) if is_internal(ip) => Err(blocked(to, ip)),
        _ => Ok(()),
    }
}

fn blocked(to: &url::Url, ip: IpAddr) -> FetchError {
    FetchError::new(
        Reason::RedirectBlocked,
        format!(
            "a redirect goes to {to}, on the internal address {ip}; set follow_redirects_to_private: true on the path to follow it"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        let internal = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ];
        for ip in internal {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "192.0.2.1",
            "8.8.8.8",
            "100.128.0.1",
            "2001:db8::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}

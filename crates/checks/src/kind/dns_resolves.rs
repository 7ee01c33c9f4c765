//! `dns-resolves`: the site's host name resolves in the task's family (A records on IPv4
//! tasks, AAAA on IPv6), optionally only to expected addresses.
//!
//! With a list, every address the name resolves to must be in it: an unexpected address
//! (a hijacked zone, a forgotten load balancer) fails the check. Addresses of the other
//! family are not looked at; when the list has none of the task's family, the check only
//! requires that the name resolves in it. The lookup goes through the system resolver, as for
//! every other check, so it sees what the agent's requests see.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::Resolved;
use crate::wire::IpVersion;

/// The config name.
pub const NAME: &str = "dns-resolves";

const FORMS: &str = "true, an IP address or a list of IP addresses";

/// Expected string: `true`, or a JSON list of IP addresses (`["192.0.2.1", "2001:db8::1"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DnsResolves {
    /// Empty: any address will do.
    addresses: Vec<IpAddr>,
}

impl DnsResolves {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        if self.addresses.is_empty() {
            return "true".to_owned();
        }
        let list: Vec<String> = self.addresses.iter().map(IpAddr::to_string).collect();
        expected::python_json(&json!(list))
    }

    /// Context: `{expected, retrieved: the addresses found}`.
    pub fn evaluate(&self, resolved: &Resolved) -> Outcome {
        let found: Vec<String> = resolved.addresses.iter().map(IpAddr::to_string).collect();
        let ctx = context(json!({"expected": self.expected(), "retrieved": found}));
        let wanted: Vec<&IpAddr> = self
            .addresses
            .iter()
            .filter(|a| is_family(a, resolved.ip_version))
            .collect();
        let unexpected: Vec<String> = resolved
            .addresses
            .iter()
            .filter(|a| !wanted.is_empty() && !wanted.contains(a))
            .map(IpAddr::to_string)
            .collect();
        let problem = (!unexpected.is_empty()).then(|| {
            let wanted: Vec<String> = wanted.iter().map(|a| a.to_string()).collect();
            format!(
                "{} resolves to {}, not among the expected addresses ({})",
                resolved.host,
                unexpected.join(", "),
                wanted.join(", ")
            )
        });
        verdict(problem, ctx)
    }
}

fn is_family(addr: &IpAddr, family: IpVersion) -> bool {
    matches!(
        (addr, family),
        (IpAddr::V4(_), IpVersion::V4) | (IpAddr::V6(_), IpVersion::V6)
    )
}

fn address(text: &str) -> Result<IpAddr, Invalid> {
    text.trim()
        .parse()
        .map_err(|_| expected::expects(NAME, FORMS, text))
}

impl TryFrom<String> for DnsResolves {
    type Error = Invalid;

    fn try_from(text: String) -> Result<DnsResolves, Invalid> {
        if text.trim() == "true" {
            return Ok(DnsResolves {
                addresses: Vec::new(),
            });
        }
        let items = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(items)) if !items.is_empty() => items,
            Ok(Value::Array(_)) => return Err(expected::expects(NAME, FORMS, &text)),
            _ => vec![Value::String(text.clone())],
        };
        let mut addresses = Vec::new();
        for item in &items {
            let ip = match item {
                Value::String(s) => address(s)?,
                other => return Err(expected::expects(NAME, FORMS, &other.to_string())),
            };
            if !addresses.contains(&ip) {
                addresses.push(ip);
            }
        }
        Ok(DnsResolves { addresses })
    }
}

impl From<DnsResolves> for String {
    fn from(check: DnsResolves) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::probe::Timings;

    fn check(text: &str) -> DnsResolves {
        DnsResolves::try_from(text.to_owned()).unwrap()
    }

    fn resolved(family: IpVersion, addresses: &[&str]) -> Resolved {
        Resolved {
            host: "example.org".into(),
            ip_version: family,
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
            timings: Timings::default(),
        }
    }

    #[test]
    fn expectations_are_true_or_addresses() {
        assert_eq!(check("true").expected(), "true");
        assert_eq!(check("192.0.2.1").expected(), r#"["192.0.2.1"]"#);
        assert_eq!(
            check(r#"["2001:DB8::1", "192.0.2.1", "192.0.2.1"]"#).expected(),
            r#"["2001:db8::1", "192.0.2.1"]"#
        );
        for bad in ["false", "[]", "example.org", r#"["192.0.2.1", 3]"#, "[1"] {
            let err = DnsResolves::try_from(bad.to_owned()).unwrap_err().0;
            assert!(
                err.starts_with("dns-resolves expects true, an IP address"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn any_address_will_do_for_true() {
        let out = check("true").evaluate(&resolved(IpVersion::V4, &["192.0.2.7"]));
        assert_eq!(out.status, Status::Success);
        assert_eq!(
            out.context,
            context(json!({"expected": "true", "retrieved": ["192.0.2.7"]}))
        );
    }

    #[test]
    fn every_address_found_must_be_expected() {
        let c = check(r#"["192.0.2.1", "192.0.2.2", "2001:db8::1"]"#);
        let v4 = |found: &[&str]| c.evaluate(&resolved(IpVersion::V4, found));
        assert_eq!(v4(&["192.0.2.2"]).status, Status::Success);
        let bad = v4(&["192.0.2.1", "198.51.100.9"]);
        assert_eq!(bad.status, Status::Failure);
        assert_eq!(
            bad.context["detail"],
            "example.org resolves to 198.51.100.9, not among the expected addresses (192.0.2.1, 192.0.2.2)"
        );
        let v6 = c.evaluate(&resolved(IpVersion::V6, &["2001:db8::2"]));
        assert_eq!(v6.status, Status::Failure);
        // No IPv6 address expected: an IPv6 task only needs the name to resolve.
        let only_v4 = check(r#"["192.0.2.1"]"#);
        let out = only_v4.evaluate(&resolved(IpVersion::V6, &["2001:db8::2"]));
        assert_eq!(out.status, Status::Success);
    }
}

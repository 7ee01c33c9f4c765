//! `port-open`: a TCP port accepts connections (`true`), or refuses them (`false`, e.g. a
//! database port that must not be reachable from where the agent runs).
//!
//! On a `tcp://host:port` website it checks that port; on an http(s) website, the URL's port
//! (explicit, or 80/443). The connection is closed at once: nothing is sent, so any TCP
//! service can be checked.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, context, expected, verdict};
use crate::Outcome;
use crate::probe::{Connected, FetchError};

/// The config name.
pub const NAME: &str = "port-open";

/// Expected string: `true` (the port accepts) or `false` (it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortOpen {
    open: bool,
}

impl PortOpen {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        self.open.to_string()
    }

    /// Judges a connection attempt. Context: `{expected, retrieved: whether it connected,
    /// address}`. With `true`, a failed attempt is the request failure (reason `connect`,
    /// `timeout` or `dns`); with `false`, only a refusal or silence after the name resolved
    /// passes ([`FetchError::port_closed`]): a name that does not resolve (or not in time),
    /// no route to the network, or an address of the other family is still the failure it
    /// is, since nothing was learnt about the port.
    pub fn evaluate(&self, attempt: &Result<Connected, FetchError>) -> Outcome {
        match (attempt, self.open) {
            (Ok(conn), _) => {
                let address = conn.address.to_string();
                let ctx =
                    context(json!({"expected": self.open, "retrieved": true, "address": address}));
                let problem =
                    (!self.open).then(|| format!("{address} accepts connections, and should not"));
                verdict(problem, ctx)
            }
            (Err(e), false) if e.port_closed => {
                let ctx =
                    context(json!({"expected": false, "retrieved": false, "error": e.message}));
                verdict(None, ctx)
            }
            (Err(e), _) => e.to_outcome(),
        }
    }
}

impl TryFrom<String> for PortOpen {
    type Error = Invalid;

    fn try_from(text: String) -> Result<PortOpen, Invalid> {
        match text.trim() {
            "true" => Ok(PortOpen { open: true }),
            "false" => Ok(PortOpen { open: false }),
            _ => Err(expected::expects(NAME, "true or false", &text)),
        }
    }
}

impl From<PortOpen> for String {
    fn from(check: PortOpen) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::probe::Timings;

    fn check(text: &str) -> PortOpen {
        PortOpen::try_from(text.to_owned()).unwrap()
    }

    fn connected() -> Result<Connected, FetchError> {
        Ok(Connected {
            address: "127.0.0.1:25".parse().unwrap(),
            timings: Timings::default(),
        })
    }

    fn failed(reason: &'static str) -> Result<Connected, FetchError> {
        let parsed = crate::Reason::parse(reason).unwrap();
        Err(FetchError::new(parsed, format!("{reason} happened")))
    }

    /// A refusal or silence after the name resolved.
    fn closed(reason: &'static str) -> Result<Connected, FetchError> {
        failed(reason).map_err(|mut e| {
            e.port_closed = true;
            e
        })
    }

    #[test]
    fn parses_booleans_only() {
        assert_eq!(check("true").expected(), "true");
        assert_eq!(check("false").expected(), "false");
        let err = PortOpen::try_from("yes".to_owned()).unwrap_err().0;
        assert_eq!(err, r#"port-open expects true or false, got "yes""#);
    }

    #[test]
    fn open_wants_a_connection() {
        let ok = check("true").evaluate(&connected());
        assert_eq!(ok.status, Status::Success);
        assert_eq!(
            ok.context,
            context(json!({"expected": true, "retrieved": true, "address": "127.0.0.1:25"}))
        );
        let refused = check("true").evaluate(&failed("connect"));
        assert_eq!(
            (refused.status, &refused.context["reason"]),
            (Status::Failure, &json!("connect"))
        );
    }

    #[test]
    fn closed_wants_no_connection_but_a_name() {
        assert_eq!(
            check("false").evaluate(&closed("connect")).status,
            Status::Success
        );
        assert_eq!(
            check("false").evaluate(&closed("timeout")).status,
            Status::Success
        );
        // A DNS timeout or no route to the network says nothing about the port.
        for reason in ["timeout", "connect"] {
            let out = check("false").evaluate(&failed(reason));
            assert_eq!(
                (out.status, &out.context["reason"]),
                (Status::Failure, &json!(reason))
            );
        }
        let open = check("false").evaluate(&connected());
        assert_eq!(open.status, Status::Failure);
        assert_eq!(
            open.context["detail"],
            "127.0.0.1:25 accepts connections, and should not"
        );
        let dns = check("false").evaluate(&failed("dns"));
        assert_eq!(
            (dns.status, &dns.context["reason"]),
            (Status::Failure, &json!("dns"))
        );
    }
}

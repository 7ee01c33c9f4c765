//! What the rest of the system needs to know of each check type, in one exhaustive `match`
//! ([`Kind::traits`]): a new check gets one arm here, asked for by the compiler, instead of
//! entries in lists and string comparisons spread over grouping, config and finalization.

use serde_json::Value;

use super::{Invalid, Kind, ProbeKind, http_to_https, response_time};
use crate::reason::Reason;

/// How a check's failures become a severity on the server (see [`crate::finalize()`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grading {
    /// Success is ok, failure critical, error unknown.
    Standard,
    /// A failure may say `severity: warning` itself (`response-time`).
    OwnSeverity,
    /// The agent measures (`on-check`), the server grades against its thresholds
    /// (`ssl-certificate-expiration`).
    ServerThresholds,
}

/// Facts about a check type.
#[derive(Debug, Clone, Copy)]
pub struct Traits {
    /// The probe it needs.
    pub probe: ProbeKind,
    /// How its results are graded.
    pub grading: Grading,
    /// The `reason` of a failure whose context gives none.
    pub failure: Reason,
    /// It requests the task URL with scheme `http` (`http-to-https`).
    pub plain_http: bool,
    /// Its config value → its stored expected string.
    pub(crate) normalise: fn(Kind, &Value) -> Result<String, Invalid>,
}

/// An HTTP check graded as usual, whose config value is read the common way.
const HTTP: Traits = Traits {
    probe: ProbeKind::Http,
    grading: Grading::Standard,
    failure: Reason::Expectation,
    plain_http: false,
    normalise: super::normalise,
};

impl Kind {
    /// Parses a config name (`status-is`).
    pub fn parse(name: &str) -> Option<Kind> {
        name.parse().ok()
    }

    /// The config name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// What is known of checks of this type.
    pub fn traits(self) -> Traits {
        use Kind as K;
        match self {
            K::StatusIs | K::StatusIn => Traits {
                failure: Reason::HttpStatus,
                ..HTTP
            },
            K::HttpToHttps => Traits {
                plain_http: true,
                normalise: |_, value| http_to_https::normalise(value),
                ..HTTP
            },
            K::ResponseTime => Traits {
                grading: Grading::OwnSeverity,
                normalise: |_, value| response_time::normalise(value),
                ..HTTP
            },
            K::SslCertificateExpiration => Traits {
                grading: Grading::ServerThresholds,
                ..HTTP
            },
            K::PortOpen => Traits {
                probe: ProbeKind::Tcp,
                ..HTTP
            },
            K::DnsResolves => Traits {
                probe: ProbeKind::Dns,
                ..HTTP
            },
            K::HeadersContain
            | K::HeadersHave
            | K::HeadersLike
            | K::BodyContains
            | K::BodyLike
            | K::BodyNotContains
            | K::JsonContains
            | K::JsonHas
            | K::JsonLike
            | K::JsonIs
            | K::RedirectsTo => HTTP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_kind_has_its_name_both_ways() {
        for kind in Kind::VARIANTS {
            assert_eq!(Kind::parse(kind.name()), Some(*kind));
        }
        assert_eq!(Kind::parse("status-iz"), None);
        assert_eq!(Kind::HttpToHttps.name(), http_to_https::NAME);
        assert_eq!(
            Kind::SslCertificateExpiration.name(),
            "ssl-certificate-expiration"
        );
    }
}

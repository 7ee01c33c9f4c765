//! Per-agent tokens: 32 random bytes (hex), given to one agent and bound to its name. The
//! store keeps only their SHA-256: a token is random, not a password a person chose, so
//! nothing slower is needed to make a leaked table useless, and a plain hash can be looked
//! up by index on every agent request.
//!
//! The shared `service.secrets` stay (the Python agent uses them); a request with a
//! per-agent token is that agent, whatever it says (see `web::agent_api`).

use sha2::{Digest, Sha256};

/// A new token (64 hex characters).
pub fn generate() -> String {
    super::session::random_token()
}

/// What the store keeps of `token`: its SHA-256, in hex.
pub fn hash(token: &str) -> String {
    argos_checks::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// Whether `name` can be an agent's name: 1 to 100 letters, digits, `.`, `_`, `-` or `:`
/// (host names and IP addresses, which agents use by default), so that it travels in a
/// query string as it is and reads the same in logs and pages.
pub fn is_valid_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!hash(&a).contains(&a));
    }

    #[test]
    fn names_are_host_names_or_addresses() {
        for ok in ["paris-1", "agent.example.org", "10.0.0.1", "::1", "a_b"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", "a?x=1", &"x".repeat(101)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}

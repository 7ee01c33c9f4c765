//! Session and CSRF tokens, and the cookies that carry them.
//!
//! - A session cookie holds 32 random bytes; the store knows it only as
//!   HMAC-SHA256(cookie_secret, token), so a leaked table cannot be replayed and a new
//!   `cookie_secret` ends every session.
//! - CSRF: "signed double submit". A random `argos_csrf` cookie is set with the first page;
//!   every form carries HMAC(cookie_secret, csrf cookie ‖ session cookie) and a POST is
//!   accepted only when the field matches the cookies it came with. A page of another site
//!   can neither read our cookies nor compute the field.
//! - Cookies are `HttpOnly`, `SameSite=Lax` (links from alert e-mails keep working),
//!   scoped to `root_path`, and `Secure` when the request came over HTTPS or
//!   `general.public_url` is `https://`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use chrono::Duration;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The session cookie.
pub const SESSION_COOKIE: &str = "argos_session";
/// The CSRF cookie.
pub const CSRF_COOKIE: &str = "argos_csrf";

/// A session's lifetime as chrono counts it, and when a session opened at `now` ends. Never
/// panics: the config caps lifetimes at ten years, and one past chrono's range (or ending
/// after its last instant) saturates there.
pub fn lifetime(
    now: chrono::DateTime<chrono::Utc>,
    lifetime: std::time::Duration,
) -> (Duration, chrono::DateTime<chrono::Utc>) {
    let lifetime = Duration::from_std(lifetime).unwrap_or(Duration::MAX);
    let ends = now
        .checked_add_signed(lifetime)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    (lifetime, ends)
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    argos_checks::hex::encode(&bytes)
}

fn mac(secret: &str, parts: &[&str]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p.as_bytes());
        mac.update(&[0]);
    }
    mac
}

/// The store's id of the session whose cookie is `token`.
pub fn session_id(secret: &str, token: &str) -> String {
    argos_checks::hex::encode(&mac(secret, &["session", token]).finalize().into_bytes())
}

/// The form field for the cookies `csrf` and `session` (empty when absent).
pub fn csrf_field(secret: &str, csrf: &str, session: &str) -> String {
    argos_checks::hex::encode(
        &mac(secret, &["csrf", csrf, session])
            .finalize()
            .into_bytes(),
    )
}

/// Whether `field` is the form field of these cookies (compared in constant time).
pub fn csrf_ok(secret: &str, csrf: &str, session: &str, field: &str) -> bool {
    let Some(bytes) = unhex(field) else {
        return false;
    };
    !csrf.is_empty()
        && mac(secret, &["csrf", csrf, session])
            .verify_slice(&bytes)
            .is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// How cookies are written for this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieJar {
    /// `Path=`: the root path, or `/`.
    pub path: String,
    /// Add `Secure`.
    pub secure: bool,
}

impl CookieJar {
    /// A `Set-Cookie` value; `max_age` `None` makes a browser-session cookie.
    pub fn set(&self, name: &str, value: &str, max_age: Option<Duration>) -> String {
        let mut c = format!("{name}={value}; Path={}; HttpOnly; SameSite=Lax", self.path);
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={}", age.num_seconds().max(0)));
        }
        if self.secure {
            c.push_str("; Secure");
        }
        c
    }

    /// A `Set-Cookie` value that deletes cookie `name`.
    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", Some(Duration::zero()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_fields_are_bound_to_both_cookies_and_the_secret() {
        let f = csrf_field("s3cret", "c1", "sess");
        assert!(csrf_ok("s3cret", "c1", "sess", &f));
        assert!(!csrf_ok("s3cret", "c2", "sess", &f), "another csrf cookie");
        assert!(!csrf_ok("s3cret", "c1", "", &f), "another session");
        assert!(!csrf_ok("other", "c1", "sess", &f), "another secret");
        assert!(
            !csrf_ok("s3cret", "", "sess", &csrf_field("s3cret", "", "sess")),
            "no cookie"
        );
        assert!(!csrf_ok("s3cret", "c1", "sess", "zz"));
        assert!(!csrf_ok("s3cret", "c1", "sess", "é"));
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; argos_session=abc".parse().unwrap());
        h.append(COOKIE, "argos_csrf=\"x\"".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, CSRF_COOKIE), Some("x"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn lifetimes_at_the_extremes_saturate() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let ten_years = crate::config::MAX_SESSION;
        let (age, ends) = lifetime(now, ten_years);
        assert_eq!(age.num_days(), 3660);
        assert_eq!(ends - now, age);
        let last = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        for huge in [
            std::time::Duration::MAX,
            std::time::Duration::from_secs(u64::MAX / 2),
        ] {
            assert_eq!(lifetime(now, huge).1, last);
        }
        assert_eq!(lifetime(last - Duration::seconds(1), ten_years).1, last);
    }

    #[test]
    fn set_cookie_values() {
        let jar = CookieJar {
            path: "/argos".into(),
            secure: true,
        };
        assert_eq!(
            jar.set("n", "v", Some(Duration::seconds(60))),
            "n=v; Path=/argos; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert_eq!(
            jar.clear("n"),
            "n=; Path=/argos; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 64);
        assert_ne!(session_id("a", "t"), session_id("b", "t"));
    }
}

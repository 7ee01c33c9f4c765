//! Logins against an LDAP directory (`general.ldap`), as Argos Panoptès does it: bind as the
//! service account (when one is set), search `user_tree` for `(&(<user_attr>=<login>)
//! <user_filter>)`, then bind as the entry found with the given password.
//!
//! Fixed from the reference (§10.1): an empty password never authenticates (an LDAP server
//! takes an empty-password bind as an anonymous one, which "succeeds"); a missing
//! `user_filter` adds nothing (the reference appended the text `None`); the login is escaped
//! in the filter; a search that finds several entries is refused rather than binding as the
//! first; one connection per login, closed after it (no shared connection to go stale).
//!
//! Also: a `bind_dn` without a `bind_pwd` is an error, not an anonymous bind; a `user_filter`
//! written without its parentheses (`objectClass=person`) is wrapped in them rather than
//! making the filter invalid; the search asks for two entries at most (more is "several", a
//! refusal, not an error); an entry with an empty DN is never bound to; [`user`] returns
//! the directory's spelling of the login. Search continuation references (Active Directory
//! sends some when searching from a domain's root) are not entries: `ldap3`'s `search` keeps
//! them apart, in the result's `refs`.

use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions, ldap_escape};

use crate::config::Ldap;

/// How long the directory may take to answer a login.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// `sizeLimitExceeded`: more entries matched than the search asked for.
const SIZE_LIMIT_EXCEEDED: u32 = 4;

/// What went wrong talking to the directory (not a wrong password: that is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
#[error("LDAP: {0}")]
pub struct LdapError(String);

impl From<ldap3::LdapError> for LdapError {
    fn from(e: ldap3::LdapError) -> LdapError {
        LdapError(e.to_string())
    }
}

/// The search filter for `login`.
pub fn filter(cfg: &Ldap, login: &str) -> String {
    let extra = cfg.user_filter.as_deref().map_or("", str::trim);
    let extra = if extra.is_empty() || extra.starts_with('(') {
        extra.to_owned()
    } else {
        format!("({extra})")
    };
    format!("(&({}={}){extra})", cfg.user_attr, ldap_escape(login))
}

/// Whether `login` / `password` is a user of the directory.
///
/// # Errors
/// The directory could not be reached or refused the service account (or the search).
pub async fn authenticate(cfg: &Ldap, login: &str, password: &str) -> Result<bool, LdapError> {
    Ok(user(cfg, login, password).await?.is_some())
}

/// The directory's spelling of `login` (its `user_attr` value: LDAP matches names without
/// regard to case or surrounding spaces, so `Alice` finds `alice`) when `login` / `password`
/// is a user of the directory, `None` when not.
///
/// # Errors
/// As [`authenticate`].
pub async fn user(cfg: &Ldap, login: &str, password: &str) -> Result<Option<String>, LdapError> {
    if login.is_empty() || password.is_empty() {
        return Ok(None);
    }
    match tokio::time::timeout(TIMEOUT, attempt(cfg, login, password)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(LdapError(format!(
            "no answer within {}s",
            TIMEOUT.as_secs()
        ))),
    }
}

async fn attempt(cfg: &Ldap, login: &str, password: &str) -> Result<Option<String>, LdapError> {
    let service = cfg
        .bind_dn
        .as_deref()
        .map(|dn| (dn, cfg.bind_pwd.as_deref().unwrap_or("")));
    if service.is_some_and(|(_, pw)| pw.is_empty()) {
        // The same flaw on the service's side: that bind would be an anonymous one.
        return Err(LdapError(
            "general.ldap.bind_dn is set without a bind_pwd".to_owned(),
        ));
    }
    let settings = LdapConnSettings::new().set_conn_timeout(TIMEOUT);
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &cfg.uri).await?;
    ldap3::drive!(conn);
    if let Some((dn, pw)) = service {
        ldap.simple_bind(dn, pw).await?.success()?;
    }
    let found = ldap
        .with_search_options(SearchOptions::new().sizelimit(2))
        .search(
            &cfg.user_tree,
            Scope::Subtree,
            &filter(cfg, login),
            vec![cfg.user_attr.as_str()],
        )
        .await?;
    // More than the two entries asked for: sizeLimitExceeded, with two of them.
    let several = found.1.rc == SIZE_LIMIT_EXCEEDED;
    let entries = if several { found.0 } else { found.success()?.0 };
    let mut entries: Vec<SearchEntry> = entries.into_iter().map(SearchEntry::construct).collect();
    if several || entries.len() != 1 {
        if several || entries.len() > 1 {
            tracing::warn!(login, "LDAP: several entries match this login; refused");
        }
        let _ = ldap.unbind().await;
        return Ok(None);
    }
    let entry = entries.pop().expect("one entry");
    if entry.dn.is_empty() {
        // Binding as "" with a password is an anonymous bind on some servers.
        let _ = ldap.unbind().await;
        return Ok(None);
    }
    let bound = ldap.simple_bind(&entry.dn, password).await?;
    let _ = ldap.unbind().await;
    if bound.rc != 0 {
        return Ok(None);
    }
    let name = entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&cfg.user_attr))
        .and_then(|(_, v)| {
            v.iter()
                .find(|v| v.trim().eq_ignore_ascii_case(login.trim()))
        })
        .cloned()
        .unwrap_or_else(|| login.to_owned());
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(filter: Option<&str>) -> Ldap {
        Ldap {
            uri: "ldap://127.0.0.1:1".into(),
            user_tree: "ou=users,dc=example,dc=org".into(),
            bind_dn: None,
            bind_pwd: None,
            user_attr: "uid".into(),
            user_filter: filter.map(str::to_owned),
        }
    }

    #[test]
    fn filters_escape_the_login_and_add_nothing_without_user_filter() {
        assert_eq!(filter(&cfg(None), "bob"), "(&(uid=bob))");
        assert_eq!(
            filter(&cfg(Some("(!(uid=svc))")), "bob"),
            "(&(uid=bob)(!(uid=svc)))"
        );
        assert_eq!(
            filter(&cfg(Some("objectClass=person")), "bob"),
            "(&(uid=bob)(objectClass=person))"
        );
        assert_eq!(filter(&cfg(Some(" ")), "bob"), "(&(uid=bob))");
        assert_eq!(
            filter(&cfg(None), "*)(uid=*"),
            "(&(uid=\\2a\\29\\28uid=\\2a))"
        );
    }

    #[tokio::test]
    async fn an_empty_password_never_reaches_the_directory() {
        // The directory does not exist: only the early refusal can answer Ok(false).
        assert!(!authenticate(&cfg(None), "bob", "").await.unwrap());
        assert!(!authenticate(&cfg(None), "", "pw").await.unwrap());
        assert!(authenticate(&cfg(None), "bob", "pw").await.is_err());
    }
}

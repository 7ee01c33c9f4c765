//! Database URLs, in the forms Argos Panoptès accepts (SQLAlchemy style), so that users can
//! point us at their existing `general.db.url`.

use std::path::PathBuf;

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A PostgreSQL URL sqlx accepts (`postgresql://…`).
    Postgres(String),
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A private in-memory SQLite database (tests, demos).
    SqliteMemory,
}

const ACCEPTED: &str = "postgresql://…, postgres://…, postgresql+<driver>://… (e.g. \
     postgresql+psycopg2://), sqlite:///relative/path.db, sqlite:////absolute/path.db or \
     sqlite::memory:";

/// Parses a database URL.
///
/// Accepted: `postgresql://`, `postgres://`, `postgresql+<driver>://` (the driver is dropped),
/// `sqlite:///relative`, `sqlite:////absolute`, `sqlite::memory:` (and SQLAlchemy's
/// `sqlite://` / `sqlite:///:memory:` for memory).
///
/// # Errors
/// A message listing the accepted forms. It never repeats the URL, which may hold a password.
pub fn parse_db_url(url: &str) -> Result<DbTarget, String> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://").or_else(|| memory_form(url)) else {
        return Err(unsupported("it has no scheme"));
    };
    let (base, driver) = scheme.split_once('+').unwrap_or((scheme, ""));
    if driver.contains('+') || (driver.is_empty() && scheme.ends_with('+')) {
        return Err(unsupported("its driver part is malformed"));
    }
    match base.to_ascii_lowercase().as_str() {
        "postgresql" | "postgres" if !rest.is_empty() => {
            Ok(DbTarget::Postgres(format!("postgresql://{rest}")))
        }
        "postgresql" | "postgres" => Err(unsupported("it has no host or database")),
        "sqlite" => sqlite_target(rest),
        _ => Err(unsupported(&format!(
            "the scheme {base:?} is not supported"
        ))),
    }
}

/// `sqlite::memory:` has no `://`; present it as scheme `sqlite` with the memory marker.
fn memory_form(url: &str) -> Option<(&str, &str)> {
    (url == "sqlite::memory:").then_some(("sqlite", "/:memory:"))
}

/// `rest` is what follows `sqlite://`: `/relative`, `//absolute`, `` or `/:memory:`.
fn sqlite_target(rest: &str) -> Result<DbTarget, String> {
    // SQLAlchemy passes `?…` options to the driver; none of them matter to us.
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    match rest {
        "" | "/:memory:" => Ok(DbTarget::SqliteMemory),
        path if path.starts_with('/') && path.len() > 1 => {
            Ok(DbTarget::Sqlite(PathBuf::from(&path[1..])))
        }
        _ => Err(unsupported(
            "an SQLite URL needs three slashes before the path",
        )),
    }
}

/// `url` without its password: the one of the user info (`user:[hidden]@host`) and a
/// `password=` query parameter (libpq's other place for it). Works on text that does not
/// parse as a URL too, since that is when it ends up in an error message.
pub fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    for secret in secrets(url) {
        out = out.replace(&secret, HIDDEN);
    }
    out
}

/// `text` (an error message, a log line) with every secret of database URL `url` blanked
/// out, raw or percent-decoded. The last guard before anything about the database is
/// printed: whatever a driver or a migration puts in its message, the password stays out.
pub fn scrub(text: &str, url: &str) -> String {
    let mut out = text.to_owned();
    for secret in secrets(url) {
        out = out.replace(&secret, HIDDEN);
    }
    out
}

/// What replaces a password.
const HIDDEN: &str = "[hidden]";

/// The passwords in `url` as written, and percent-decoded when that differs; longest first.
fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    // The last `@` of the authority ends the user info (a password may contain `@`).
    if let Some((userinfo, _)) = after_scheme[..authority_end].rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        found.push(password.to_owned());
    }
    if let Some((_, query)) = url.split_once('?') {
        let params = query.split(['&', '#']);
        found.extend(params.filter_map(|p| p.strip_prefix("password=").map(str::to_owned)));
    }
    let decoded: Vec<String> = found
        .iter()
        .filter_map(|s| percent_decode(s).filter(|d| d != s))
        .collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

fn percent_decode(s: &str) -> Option<String> {
    let text = url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    // `+` is a space in a form, not in a URL's user info: keep it.
    (!s.contains('+')).then_some(text)
}

fn unsupported(why: &str) -> String {
    format!("unsupported database URL ({why}); accepted forms: {ACCEPTED}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_reference_forms() {
        let pg = |s: &str| DbTarget::Postgres(s.to_owned());
        assert_eq!(
            parse_db_url("postgresql://u:p@h/db"),
            Ok(pg("postgresql://u:p@h/db"))
        );
        assert_eq!(
            parse_db_url("postgres://h:5432/db"),
            Ok(pg("postgresql://h:5432/db"))
        );
        assert_eq!(
            parse_db_url("postgresql+psycopg2://u@h/db"),
            Ok(pg("postgresql://u@h/db"))
        );
        assert_eq!(
            parse_db_url("sqlite:///argos.db"),
            Ok(DbTarget::Sqlite("argos.db".into()))
        );
        assert_eq!(
            parse_db_url("sqlite:////var/lib/a.db"),
            Ok(DbTarget::Sqlite("/var/lib/a.db".into()))
        );
        assert_eq!(parse_db_url("sqlite::memory:"), Ok(DbTarget::SqliteMemory));
        assert_eq!(parse_db_url("sqlite://"), Ok(DbTarget::SqliteMemory));
    }

    #[test]
    fn passwords_are_redacted_wherever_they_are() {
        let cases = [
            (
                "postgresql://argos:s3cret@db.example:5432/argos",
                "postgresql://argos:[hidden]@db.example:5432/argos",
            ),
            // A password with `@` and `:` in it, not percent-encoded: still all of it.
            ("postgres://u:p@ss:w0rd@h/db", "postgres://u:[hidden]@h/db"),
            (
                "postgresql://u@h/db?sslmode=require&password=s3cret",
                "postgresql://u@h/db?sslmode=require&password=[hidden]",
            ),
            // Not a URL the parsers accept (an unclosed IPv6 bracket): redacted all the same.
            (
                "postgresql://u:s3cret@[::1:5432/db",
                "postgresql://u:[hidden]@[::1:5432/db",
            ),
            ("postgresql://u@h/db", "postgresql://u@h/db"),
            ("sqlite:///argos.db", "sqlite:///argos.db"),
        ];
        for (url, want) in cases {
            assert_eq!(redact(url), want, "{url}");
        }
        let url = "postgresql://u:p%40ss%2Fw0rd@h/db";
        let message = "auth failed for u with p@ss/w0rd (p%40ss%2Fw0rd)";
        assert_eq!(
            scrub(message, url),
            "auth failed for u with [hidden] ([hidden])"
        );
    }

    #[test]
    fn rejects_others_without_echoing_secrets() {
        for bad in [
            "mysql://u:secret@h/db",
            "argos.db",
            "sqlite://argos.db",
            "postgresql://",
            "postgresql++x://s",
        ] {
            let err = parse_db_url(bad).unwrap_err();
            assert!(err.contains("sqlite::memory:"), "{err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }
}

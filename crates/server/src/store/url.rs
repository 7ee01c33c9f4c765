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

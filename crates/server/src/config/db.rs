//! `general.db`: which database, and how many connections.

use super::general::Env;
use super::problem::Problems;
use super::reader::{self, Section};
use super::yaml::Node;

/// Default database pool size (SQLAlchemy's in the reference).
pub const DEFAULT_POOL_SIZE: u32 = 10;
/// Default extra connections allowed above the pool size.
pub const DEFAULT_MAX_OVERFLOW: u32 = 20;
/// The largest `pool_size` and `max_overflow`: far above what a database serves (PostgreSQL
/// defaults to 100 connections), and small enough that their sum cannot overflow.
pub const MAX_POOL: u32 = 10_000;

/// `general.db`.
#[derive(Debug, Clone, PartialEq)]
pub struct Db {
    /// `postgresql://…`, `postgres://…`, `postgresql+<driver>://…`, `sqlite:///relative`,
    /// `sqlite:////absolute` or `sqlite::memory:`.
    pub url: String,
    /// Connection pool size (default 10).
    pub pool_size: u32,
    /// Connections allowed above the pool size (default 20).
    pub max_overflow: u32,
}

pub(crate) fn read_db(node: &Node, p: &mut Problems) -> Db {
    let sec = Section::new(node, "general.db", &["url", "pool_size", "max_overflow"], p);
    Db {
        url: sec.req("url", p, db_url).unwrap_or_default(),
        pool_size: sec.opt("pool_size", p, pool).unwrap_or(DEFAULT_POOL_SIZE),
        max_overflow: sec
            .opt("max_overflow", p, pool)
            .unwrap_or(DEFAULT_MAX_OVERFLOW),
    }
}

fn pool(node: &Node, path: &str, p: &mut Problems) -> Option<u32> {
    reader::count_up_to(node, path, MAX_POOL, p)
}

const DB_FORMS: &str = "postgresql://user:password@host/db, postgres://…, postgresql+<driver>://…, \
                        sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite::memory:";

/// The reference meant to restrict schemes but did not (its pydantic-v1 style check had no
/// effect, so `mysql://` passed and failed later).
fn db_url(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let url = reader::non_empty(node, path, p)?;
    let (scheme, rest) = url.split_once(':').unwrap_or((&url, ""));
    let ok = match scheme {
        "postgresql" | "postgres" => rest.starts_with("//") && url::Url::parse(&url).is_ok(),
        s if s.starts_with("postgresql+") && s.len() > "postgresql+".len() => {
            rest.starts_with("//")
        }
        "sqlite" => rest == ":memory:" || rest.strip_prefix("///").is_some_and(|p| !p.is_empty()),
        _ => false,
    };
    if !ok {
        p.error(
            node,
            path,
            format!(
                "unsupported database URL {:?} (accepted forms: {DB_FORMS})",
                crate::store::redact_url(&url)
            ),
        );
        return None;
    }
    Some(url)
}

pub(crate) fn warn_tmp_database(sec: &Section<'_>, db: &Db, env: Env, p: &mut Problems) {
    let url = sec.get("db").and_then(|n| n.get("url"));
    if let (Env::Production, true, Some(url)) = (env, db.url.starts_with("sqlite:////tmp/"), url) {
        let message = "a production database under /tmp may be wiped at reboot";
        p.warn(url, &sec.path("db.url"), message);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::config::yaml::Value;

    #[test]
    fn database_url_forms() {
        let file: Arc<Path> = Arc::from(Path::new("config.yaml"));
        let accepted = [
            "postgresql://argos:argos@localhost/argos",
            "postgres://localhost/argos",
            "postgresql+psycopg2://u:p@h:5432/db",
            "sqlite:///argos.db",
            "sqlite:////var/lib/argos/argos.db",
            "sqlite::memory:",
        ];
        let rejected = [
            "mysql://u:p@h/db",
            "sqlite://argos.db",
            "sqlite:///",
            "postgresql+://h/db",
            "postgresql:/h/db",
            "argos.db",
            "",
        ];
        for (url, ok) in accepted
            .iter()
            .map(|u| (u, true))
            .chain(rejected.iter().map(|u| (u, false)))
        {
            let mut p = Problems::new(false);
            let node = Node::new(Value::Str((*url).to_owned()), &file, 1);
            assert_eq!(
                db_url(&node, "general.db.url", &mut p).is_some(),
                ok,
                "{url:?}"
            );
            assert_eq!(p.has_errors(), !ok, "{url:?}");
        }
    }
}

//! Naming why the database cannot be used right now, for the errors that are about that
//! rather than about the request ([`Error::is_transient`]): PostgreSQL down or restarting, a
//! connection cut, the pool waiting in vain for one, SQLite locked by another process past
//! the busy timeout, or the disk full. The web layer answers those with a 503 ("try again
//! later") that says which, and logs it.

use super::Error;

/// SQLite primary result codes (<https://www.sqlite.org/rescode.html>); sqlx reports the
/// extended code, whose low byte is the primary one.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;

impl Error {
    /// Why the database is unavailable, in a few words for the operator and the client
    /// ("locked by another process", "disk full", ...), or `None` when the error is not
    /// about availability (a bad query, a constraint, a row that does not decode). The
    /// errors are those [`Error::is_transient`] retries; this only names them.
    pub fn unavailable(&self) -> Option<&'static str> {
        match self {
            Error::Db(e) if self.is_transient() => Some(reason(e)),
            _ => None,
        }
    }
}

fn reason(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::PoolTimedOut => "no connection could be had in time",
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => "the connection is closed",
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => match code.parse::<i64>() {
                Ok(n) => sqlite(n),
                Err(_) => postgres(&code),
            },
            None => "busy",
        },
        _ => "the connection failed",
    }
}

fn sqlite(extended: i64) -> &'static str {
    match extended & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED => "locked by another process",
        SQLITE_FULL => "disk full",
        SQLITE_IOERR | SQLITE_CANTOPEN | SQLITE_READONLY => "cannot write its file",
        _ => "busy",
    }
}

/// SQLSTATE classes and codes (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
fn postgres(sqlstate: &str) -> &'static str {
    match sqlstate {
        "57P01" | "57P02" | "57P03" => "the database server is restarting",
        "53100" => "disk full",
        "53300" => "too many connections",
        s if s.starts_with("08") => "the connection failed",
        s if s.starts_with("53") => "out of resources",
        _ => "busy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_by_their_primary_byte() {
        assert_eq!(sqlite(5), "locked by another process");
        assert_eq!(sqlite(517), "locked by another process"); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(sqlite(13), "disk full");
        assert_eq!(sqlite(778), "cannot write its file"); // SQLITE_IOERR_WRITE
    }

    #[test]
    fn postgres_states() {
        assert_eq!(postgres("57P01"), "the database server is restarting");
        assert_eq!(postgres("08006"), "the connection failed");
        assert_eq!(postgres("53100"), "disk full");
        assert_eq!(postgres("40001"), "busy");
    }

    #[test]
    fn pool_and_io_errors_are_unavailability() {
        assert!(Error::Db(sqlx::Error::PoolTimedOut).unavailable().is_some());
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(Error::Db(sqlx::Error::Io(io)).unavailable().is_some());
        assert!(Error::Db(sqlx::Error::RowNotFound).unavailable().is_none());
        assert!(Error::NotFound.unavailable().is_none());
    }
}

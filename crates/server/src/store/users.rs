//! Users and login sessions: the same SQL on both backends, expanded by `user_queries!` in
//! `postgres` and `sqlite` (only the pool type and how a time binds differ).
//!
//! Ending a user's sessions happens in the transaction that disables them, deletes them or
//! changes their password, so that no request can slip through with an old session after
//! the command said it was done.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// Its id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Argon2 PHC string (never shown).
    #[serde(skip)]
    pub password: String,
    /// A disabled user cannot log in and has no session.
    pub disabled: bool,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Who.
    pub username: String,
    /// The user's id (`None` for an LDAP login).
    pub user_id: Option<i64>,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// A "remember me" session.
    pub persistent: bool,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession<'a> {
    /// The keyed hash of its cookie.
    pub id: &'a str,
    /// The user's id (`None` for an LDAP login).
    pub user_id: Option<i64>,
    /// Who.
    pub username: &'a str,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// A "remember me" session.
    pub persistent: bool,
}

pub(crate) const INSERT_USER: &str = "INSERT INTO argos_users (username, password, disabled, created_at, updated_at) \
     VALUES ($1, $2, FALSE, $3, $3) ON CONFLICT (username) DO NOTHING";
pub(crate) const USER: &str =
    "SELECT id, username, password, disabled, last_login_at FROM argos_users WHERE username = $1";
pub(crate) const USERS: &str =
    "SELECT id, username, password, disabled, last_login_at FROM argos_users ORDER BY username";
pub(crate) const SET_PASSWORD: &str =
    "UPDATE argos_users SET password = $2, updated_at = $3 WHERE username = $1 RETURNING id";
/// Only when the flag changes, so that "already disabled" is told apart.
pub(crate) const SET_DISABLED: &str = "UPDATE argos_users SET disabled = $2, updated_at = $3 \
     WHERE username = $1 AND disabled <> $2 RETURNING id";
pub(crate) const DELETE_USER: &str = "DELETE FROM argos_users WHERE username = $1";
pub(crate) const RECORD_LOGIN: &str = "UPDATE argos_users SET last_login_at = $2 WHERE id = $1";
pub(crate) const END_SESSIONS: &str = "DELETE FROM argos_sessions WHERE user_id = $1";
pub(crate) const INSERT_SESSION: &str = "INSERT INTO argos_sessions \
     (id, user_id, username, created_at, expires_at, persistent) VALUES ($1, $2, $3, $4, $5, $6)";
/// A session counts while it has not expired and its user (if any) is enabled.
pub(crate) const SESSION: &str = "SELECT s.username, s.user_id, s.expires_at, s.persistent \
     FROM argos_sessions s LEFT JOIN argos_users u ON u.id = s.user_id \
     WHERE s.id = $1 AND s.expires_at > $2 AND (s.user_id IS NULL OR u.disabled = FALSE)";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM argos_sessions WHERE id = $1";
pub(crate) const PURGE_SESSIONS: &str = "DELETE FROM argos_sessions WHERE expires_at <= $1";

/// `user_queries!(Pool, bind_time)`: the user and session functions written once.
macro_rules! user_queries {
    ($Pool:ty, $time:path) => {
        pub(super) async fn create_user(
            pool: &$Pool,
            username: &str,
            hash: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, Error> {
            let done = sqlx::query(users::INSERT_USER)
                .bind(username)
                .bind(hash)
                .bind($time(now))
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn user(pool: &$Pool, username: &str) -> Result<Option<UserRow>, Error> {
            let row = sqlx::query(users::USER)
                .bind(username)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(rows::user).transpose()?)
        }

        pub(super) async fn users(pool: &$Pool) -> Result<Vec<UserRow>, Error> {
            let rows = sqlx::query(users::USERS).fetch_all(pool).await?;
            Ok(rows.iter().map(rows::user).collect::<Result<_, _>>()?)
        }

        pub(super) async fn set_password(
            pool: &$Pool,
            username: &str,
            hash: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, Error> {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(users::SET_PASSWORD)
                .bind(username)
                .bind(hash)
                .bind($time(now))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else { return Ok(false) };
            sqlx::query(users::END_SESSIONS)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }

        pub(super) async fn set_disabled(
            pool: &$Pool,
            username: &str,
            disabled: bool,
            now: DateTime<Utc>,
        ) -> Result<bool, Error> {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(users::SET_DISABLED)
                .bind(username)
                .bind(disabled)
                .bind($time(now))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else { return Ok(false) };
            if disabled {
                sqlx::query(users::END_SESSIONS)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        }

        pub(super) async fn delete_user(pool: &$Pool, username: &str) -> Result<bool, Error> {
            let done = sqlx::query(users::DELETE_USER)
                .bind(username)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn record_login(
            pool: &$Pool,
            user_id: i64,
            now: DateTime<Utc>,
        ) -> Result<(), Error> {
            sqlx::query(users::RECORD_LOGIN)
                .bind(user_id)
                .bind($time(now))
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn create_session(
            pool: &$Pool,
            s: &NewSession<'_>,
            now: DateTime<Utc>,
        ) -> Result<(), Error> {
            sqlx::query(users::INSERT_SESSION)
                .bind(s.id)
                .bind(s.user_id)
                .bind(s.username)
                .bind($time(now))
                .bind($time(s.expires_at))
                .bind(s.persistent)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn session(
            pool: &$Pool,
            id: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<SessionRow>, Error> {
            let row = sqlx::query(users::SESSION)
                .bind(id)
                .bind($time(now))
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(rows::session).transpose()?)
        }

        pub(super) async fn delete_session(pool: &$Pool, id: &str) -> Result<(), Error> {
            sqlx::query(users::DELETE_SESSION)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn purge_sessions(pool: &$Pool, now: DateTime<Utc>) -> Result<u64, Error> {
            let done = sqlx::query(users::PURGE_SESSIONS)
                .bind($time(now))
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        }
    };
}
pub(crate) use user_queries;

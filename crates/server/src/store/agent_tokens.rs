//! Per-agent tokens: the same SQL on both backends, expanded by `agent_token_queries!` in
//! `postgres` and `sqlite`. The store only sees the token's hash (see
//! [`crate::auth::agent_token`]); the name it is bound to is the agent's identity.

use chrono::{DateTime, Utc};

/// A per-agent token as listed (never the token itself, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTokenRow {
    /// The agent it is bound to.
    pub name: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When an agent of that name last polled or posted (with any token).
    pub last_seen: Option<DateTime<Utc>>,
}

pub(crate) const INSERT: &str = "INSERT INTO argos_agent_tokens (name, token_hash, created_at) \
     VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
pub(crate) const LIST: &str = "SELECT t.name, t.created_at, a.last_seen \
     FROM argos_agent_tokens t LEFT JOIN argos_agents a ON a.name = t.name ORDER BY t.name";
pub(crate) const DELETE: &str = "DELETE FROM argos_agent_tokens WHERE name = $1";
pub(crate) const OWNER: &str = "SELECT name FROM argos_agent_tokens WHERE token_hash = $1";
pub(crate) const BOUND: &str = "SELECT count(*) FROM argos_agent_tokens WHERE name = $1";

/// `agent_token_queries!(Pool, bind_time)`: the agent token functions written once.
macro_rules! agent_token_queries {
    ($Pool:ty, $time:path) => {
        pub(super) async fn add_agent_token(
            pool: &$Pool,
            name: &str,
            hash: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, Error> {
            let done = sqlx::query(agent_tokens::INSERT)
                .bind(name)
                .bind(hash)
                .bind($time(now))
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn agent_tokens(
            pool: &$Pool,
        ) -> Result<Vec<agent_tokens::AgentTokenRow>, Error> {
            let rows = sqlx::query(agent_tokens::LIST).fetch_all(pool).await?;
            Ok(rows
                .iter()
                .map(rows::agent_token)
                .collect::<Result<_, _>>()?)
        }

        pub(super) async fn revoke_agent_token(pool: &$Pool, name: &str) -> Result<bool, Error> {
            let done = sqlx::query(agent_tokens::DELETE)
                .bind(name)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn agent_token_owner(
            pool: &$Pool,
            hash: &str,
        ) -> Result<Option<String>, Error> {
            Ok(sqlx::query_scalar(agent_tokens::OWNER)
                .bind(hash)
                .fetch_optional(pool)
                .await?)
        }

        pub(super) async fn has_agent_token(pool: &$Pool, name: &str) -> Result<bool, Error> {
            let n: i64 = sqlx::query_scalar(agent_tokens::BOUND)
                .bind(name)
                .fetch_one(pool)
                .await?;
            Ok(n > 0)
        }
    };
}
pub(crate) use agent_token_queries;

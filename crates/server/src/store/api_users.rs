//! Users, their sessions, and the per-agent tokens.

use chrono::{DateTime, Utc};

use super::{
    AgentTokenRow, Error, Inner, NewSession, SessionRow, Store, UserRow, postgres, sqlite,
};

impl Store {
    /// Adds a user; false when the name is taken.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_user(
        &self,
        username: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.create_user(username, hash, now))
    }

    /// One user, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn user(&self, username: &str) -> Result<Option<UserRow>, Error> {
        dispatch!(self.user(username))
    }

    /// Every user, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn users(&self) -> Result<Vec<UserRow>, Error> {
        dispatch!(self.users())
    }

    /// Sets a user's password hash and ends their sessions; false when there is no such user.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_password(
        &self,
        username: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.set_password(username, hash, now))
    }

    /// Disables (ending their sessions) or enables a user; false when there is no such user
    /// or it already was so.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.set_disabled(username, disabled, now))
    }

    /// Deletes a user and their sessions; false when there is no such user.
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_user(&self, username: &str) -> Result<bool, Error> {
        dispatch!(self.delete_user(username))
    }

    /// Records a successful login.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_login(&self, user_id: i64, now: DateTime<Utc>) -> Result<(), Error> {
        dispatch!(self.record_login(user_id, now))
    }

    /// Stores a new session.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_session(
        &self,
        session: &NewSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        dispatch!(self.create_session(session, now))
    }

    /// The live session `id` at `now` (not expired, its user enabled).
    ///
    /// # Errors
    /// Database errors.
    pub async fn session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRow>, Error> {
        dispatch!(self.session(id, now))
    }

    /// Ends session `id` (logout).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_session(&self, id: &str) -> Result<(), Error> {
        dispatch!(self.delete_session(id))
    }

    /// Binds the token whose hash is `hash` to the agent `name`; false when `name` already
    /// has a token.
    ///
    /// # Errors
    /// Database errors (a hash already stored, too: tokens are random, so never in practice).
    pub async fn add_agent_token(
        &self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.add_agent_token(name, hash, now))
    }

    /// The per-agent tokens, by agent name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agent_tokens(&self) -> Result<Vec<AgentTokenRow>, Error> {
        dispatch!(self.agent_tokens())
    }

    /// Deletes the token of agent `name`; false when it has none.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revoke_agent_token(&self, name: &str) -> Result<bool, Error> {
        dispatch!(self.revoke_agent_token(name))
    }

    /// The agent the token whose hash is `hash` is bound to.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agent_token_owner(&self, hash: &str) -> Result<Option<String>, Error> {
        dispatch!(self.agent_token_owner(hash))
    }

    /// Whether agent `name` has a token of its own (then only that token may act for it).
    ///
    /// # Errors
    /// Database errors.
    pub async fn has_agent_token(&self, name: &str) -> Result<bool, Error> {
        dispatch!(self.has_agent_token(name))
    }
}

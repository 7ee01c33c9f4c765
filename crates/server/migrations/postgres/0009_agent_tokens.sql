-- Issue 9: who an agent is, and which lease a result answers.
-- Per-agent tokens beside the shared service.secrets: a request with one of these tokens is
-- that agent. Only the SHA-256 of the token is kept (hex): tokens are 32 random bytes, not
-- passwords, so a plain hash is enough, and it can be looked up by index.
CREATE TABLE argos_agent_tokens (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
-- The id of the lease holding a task (a fresh one per lease call), sent with each leased
-- task; a result quoting a lease id is accepted only for that lease.
ALTER TABLE argos_tasks ADD COLUMN lease_id TEXT;

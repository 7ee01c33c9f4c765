-- Per-agent tokens and lease ids (see migrations/postgres for the commented twin).
CREATE TABLE argos_agent_tokens (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
ALTER TABLE argos_tasks ADD COLUMN lease_id TEXT;

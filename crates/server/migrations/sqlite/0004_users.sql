-- Logins (see migrations/postgres for the commented twin). Times are unix milliseconds.
CREATE TABLE argos_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password      TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

CREATE TABLE argos_sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES argos_users (id) ON DELETE CASCADE,
    username   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    persistent INTEGER NOT NULL DEFAULT 0 CHECK (persistent IN (0, 1))
);
CREATE INDEX argos_sessions_user ON argos_sessions (user_id);
CREATE INDEX argos_sessions_expires ON argos_sessions (expires_at);

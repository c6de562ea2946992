/**
 * Schema of DATA_DIR/app.db, one step per entry, applied in order and recorded in
 * `PRAGMA user_version`. Append new steps; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    created_at          INTEGER NOT NULL,
    banned_at           INTEGER,
    password_changed_at INTEGER NOT NULL
  );
  CREATE TABLE files (
    id           TEXT    PRIMARY KEY,
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    content_type TEXT    NOT NULL,
    uploaded_at  INTEGER NOT NULL
  );
  CREATE INDEX files_by_owner ON files (owner_id, uploaded_at);
  `,
  // Revocation (CONTRACT §4) and link fates: every token the app issued, kept an hour for the
  // files page (at least until its expiry, which the contract asks), and the outbox of ids still
  // to be sent to the download server. No foreign keys: a deleted file's links stay on record.
  `
  CREATE TABLE issued_tokens (
    jti                TEXT    PRIMARY KEY,
    user_id            INTEGER NOT NULL,
    file_id            TEXT    NOT NULL,
    session_handle     TEXT,
    issued_at          INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    revoked_reason     TEXT,
    revocation_sent_at INTEGER,
    outcome            TEXT,
    outcome_bytes      INTEGER,
    outcome_checked_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX issued_tokens_by_user ON issued_tokens (user_id, expires_at);
  CREATE INDEX issued_tokens_by_file ON issued_tokens (file_id, expires_at);
  CREATE INDEX issued_tokens_by_session ON issued_tokens (session_handle, expires_at);
  CREATE INDEX issued_tokens_by_expiry ON issued_tokens (expires_at);
  CREATE TABLE revocation_outbox (
    jti             TEXT    PRIMARY KEY,
    expires_at      INTEGER NOT NULL,
    queued_at       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX revocation_outbox_due ON revocation_outbox (next_attempt_at);
  `,
]

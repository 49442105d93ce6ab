-- rognito control plane: accounts, user pools, resource servers.
-- Portable SQL (SQLite and PostgreSQL): BIGINT epoch milliseconds, JSON documents as TEXT,
-- application-generated text keys, no sequences.

CREATE TABLE accounts (
    account_id       TEXT PRIMARY KEY,
    -- Kept in step with user_pools so the per-account quota is one conditional UPDATE, which
    -- holds under concurrency on every engine (two creates can never both take the last slot).
    user_pool_count  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE user_pools (
    id                     TEXT PRIMARY KEY,
    account_id             TEXT NOT NULL REFERENCES accounts (account_id),
    name                   TEXT NOT NULL,
    -- UserPoolType as DescribeUserPool returns it, minus the dates (kept in columns).
    doc                    TEXT NOT NULL,
    resource_server_count  BIGINT NOT NULL DEFAULT 0,
    created_ms             BIGINT NOT NULL,
    modified_ms            BIGINT NOT NULL
);

CREATE INDEX user_pools_by_account ON user_pools (account_id, id);

CREATE TABLE resource_servers (
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    identifier    TEXT NOT NULL,
    name          TEXT NOT NULL,
    -- JSON array of {ScopeName, ScopeDescription}, sorted by ScopeName.
    scopes        TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL,
    PRIMARY KEY (user_pool_id, identifier)
);

-- Server-wide values generated once (e.g. the key that authenticates pagination tokens).
CREATE TABLE server_settings (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
);

-- rognito on PostgreSQL: the schema SQLite reaches after its migrations 1-4, in one step.
-- Same tables and columns (BIGINT epoch milliseconds, JSON documents as TEXT, application-made
-- text keys), BYTEA for sealed values. Quotas are counters kept in step with the rows they count,
-- so each is one conditional UPDATE, which holds across nodes: under READ COMMITTED a second
-- UPDATE of the same row waits for the first and re-checks its WHERE against the new count.

CREATE TABLE accounts (
    account_id       TEXT PRIMARY KEY,
    user_pool_count  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE user_pools (
    id                     TEXT PRIMARY KEY,
    account_id             TEXT NOT NULL REFERENCES accounts (account_id),
    name                   TEXT NOT NULL,
    doc                    TEXT NOT NULL,
    resource_server_count  BIGINT NOT NULL DEFAULT 0,
    client_count           BIGINT NOT NULL DEFAULT 0,
    created_ms             BIGINT NOT NULL,
    modified_ms            BIGINT NOT NULL,
    version                BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX user_pools_by_account ON user_pools (account_id, id);

CREATE TABLE resource_servers (
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    identifier    TEXT NOT NULL,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL,
    PRIMARY KEY (user_pool_id, identifier)
);

CREATE TABLE server_settings (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);

CREATE TABLE user_pool_clients (
    client_id     TEXT PRIMARY KEY,
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_name   TEXT NOT NULL,
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL
);

CREATE INDEX user_pool_clients_by_pool ON user_pool_clients (user_pool_id, client_id);

CREATE TABLE client_secrets (
    secret_id   TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
    ciphertext  BYTEA NOT NULL,
    digest      BYTEA NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE INDEX client_secrets_by_client ON client_secrets (client_id, created_ms);

CREATE TABLE user_pool_domains (
    domain        TEXT PRIMARY KEY,
    user_pool_id  TEXT NOT NULL UNIQUE REFERENCES user_pools (id) ON DELETE CASCADE,
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL,
    private_key   BYTEA NOT NULL,
    public_jwk    TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE INDEX signing_keys_by_pool ON signing_keys (user_pool_id, purpose);

CREATE TABLE iam_users (
    account_id  TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_name)
);

CREATE TABLE access_keys (
    access_key_id  TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    secret         BYTEA NOT NULL,
    created_ms     BIGINT NOT NULL,
    FOREIGN KEY (account_id, user_name) REFERENCES iam_users (account_id, user_name) ON DELETE CASCADE
);

CREATE INDEX access_keys_by_user ON access_keys (account_id, user_name);

CREATE TABLE user_policies (
    account_id   TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_name, policy_name),
    FOREIGN KEY (account_id, user_name) REFERENCES iam_users (account_id, user_name) ON DELETE CASCADE
);

CREATE TABLE provisioned_limits (
    account_id  TEXT NOT NULL,
    category    TEXT NOT NULL,
    rate        BIGINT NOT NULL,
    PRIMARY KEY (account_id, category)
);

-- The change feed's outbox. A write is one transaction with at most one row here, numbered by
-- that transaction's id (pg_current_xact_id()), not by a sequence: sequence numbers are taken
-- before commit, so a tail reading "after n" could pass a number whose transaction commits
-- later. Transaction ids below the oldest running one (pg_snapshot_xmin) are all finished, so a
-- tail reads only below that horizon and the prefix it has read can never grow a new row.
-- `origin` names the process that wrote the row (0: every process reads it).
CREATE TABLE changes (
    seq     BIGINT PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    origin  BIGINT NOT NULL,
    change  TEXT NOT NULL
);

-- How far the outbox has been pruned: a tail positioned below this has missed rows.
CREATE TABLE changes_pruned (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    through    BIGINT NOT NULL
);
INSERT INTO changes_pruned (through) VALUES (0);

-- The rognito servers sharing this database, by their outbox origin, with the time of their
-- last heartbeat (every second). Those seen in the last few seconds are the cluster's size,
-- which divides an account's request rate among the nodes.
CREATE TABLE nodes (
    origin   BIGINT PRIMARY KEY,
    seen_ms  BIGINT NOT NULL
);

-- Machine-to-machine: app clients and their secrets, domains, per-pool signing keys.

ALTER TABLE user_pools ADD COLUMN client_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE user_pool_clients (
    client_id     TEXT PRIMARY KEY,
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_name   TEXT NOT NULL,
    -- UserPoolClientType as DescribeUserPoolClient returns it, minus secret and dates.
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL
);

CREATE INDEX user_pool_clients_by_pool ON user_pool_clients (user_pool_id, client_id);

CREATE TABLE client_secrets (
    secret_id   TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
    -- AES-256-GCM under the server's master key (not stored in this database).
    ciphertext  BLOB NOT NULL,
    -- HMAC-SHA256 of the secret under a key derived from the master key: what the token
    -- endpoint compares, so it never decrypts on the hot path.
    digest      BLOB NOT NULL,
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
    -- 'access' or 'id': Cognito signs the two token kinds with different keys.
    purpose       TEXT NOT NULL,
    -- PKCS#8, AES-256-GCM under the master key.
    private_key   BLOB NOT NULL,
    -- The public JWK as JSON text, served at /.well-known/jwks.json.
    public_jwk    TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE INDEX signing_keys_by_pool ON signing_keys (user_pool_id, purpose);

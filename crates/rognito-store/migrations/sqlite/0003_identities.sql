-- Identities that sign requests: IAM-style users in accounts, their access keys (secrets sealed
-- under the master key, which is not in this database), and their identity policies.

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
    secret         BLOB NOT NULL,
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

-- Users, groups, sign-in sessions and the message sink (issue 13). Usernames are immutable in
-- Cognito, so (user_pool_id, username) is a stable key for everything hanging off a user.

CREATE TABLE users (
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    -- As created (case kept); lookups go through user_keys.
    username      TEXT NOT NULL,
    -- The user as the operations layer keeps it: attributes, status, MFA settings, digests of
    -- pending codes, failed sign-ins (JSON).
    doc           TEXT NOT NULL,
    -- Password hash, SRP verifier and TOTP secret, AES-256-GCM under the master key.
    secrets       BLOB NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_pool_id, username)
);

-- Every name a user can be found by, unique in the pool: the username as the pool compares it
-- (folded when case-insensitive), the sub, and the alias or username attributes that are
-- verified (email, phone_number) or set (preferred_username). The operations layer makes them.
CREATE TABLE user_keys (
    user_pool_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    username      TEXT NOT NULL,
    PRIMARY KEY (user_pool_id, key),
    FOREIGN KEY (user_pool_id, username) REFERENCES users (user_pool_id, username)
        ON DELETE CASCADE
);

CREATE INDEX user_keys_by_user ON user_keys (user_pool_id, username);

CREATE TABLE user_groups (
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    group_name    TEXT NOT NULL,
    -- Description, Precedence, RoleArn (JSON).
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    modified_ms   BIGINT NOT NULL,
    PRIMARY KEY (user_pool_id, group_name)
);

CREATE TABLE group_members (
    user_pool_id  TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    username      TEXT NOT NULL,
    PRIMARY KEY (user_pool_id, group_name, username),
    FOREIGN KEY (user_pool_id, group_name) REFERENCES user_groups (user_pool_id, group_name)
        ON DELETE CASCADE,
    FOREIGN KEY (user_pool_id, username) REFERENCES users (user_pool_id, username)
        ON DELETE CASCADE
);

CREATE INDEX group_members_by_user ON group_members (user_pool_id, username, group_name);

-- One row per refresh token family (a sign-in): what REFRESH_TOKEN_AUTH, RevokeToken and
-- GlobalSignOut act on, and what an access token's origin_jti must still name.
CREATE TABLE user_sessions (
    user_pool_id  TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    username      TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL,
    PRIMARY KEY (user_pool_id, session_id),
    FOREIGN KEY (user_pool_id, username) REFERENCES users (user_pool_id, username)
        ON DELETE CASCADE
);

CREATE INDEX user_sessions_by_user ON user_sessions (user_pool_id, username);

-- The local message sink: what Cognito would have sent by email or SMS.
CREATE TABLE user_messages (
    user_pool_id  TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    message_id    TEXT NOT NULL,
    username      TEXT NOT NULL,
    doc           TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    PRIMARY KEY (user_pool_id, message_id)
);

CREATE INDEX user_messages_by_user ON user_messages (user_pool_id, username, created_ms);

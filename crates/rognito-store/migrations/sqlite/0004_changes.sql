-- The change feed's outbox: every write adds the changes it made in its own transaction, and
-- other processes tail it by sequence number (AUTOINCREMENT: numbers are never reused, even
-- after old rows are pruned). `origin` names the process that wrote the row, so it can skip its
-- own changes (it applied them when it committed).
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   BIGINT NOT NULL,
    origin  TEXT NOT NULL,
    change  TEXT NOT NULL
);

CREATE INDEX changes_by_time ON changes (at_ms);

-- Rates raised with UpdateProvisionedLimit, per account and API category (requests per second).
CREATE TABLE provisioned_limits (
    account_id  TEXT NOT NULL,
    category    TEXT NOT NULL,
    rate        BIGINT NOT NULL,
    PRIMARY KEY (account_id, category)
);

-- A pool's document version: replacing it (UpdateUserPool, tags, MFA settings, custom
-- attributes) is a compare-and-set on this number, so two concurrent read-modify-writes cannot
-- lose one another's change.
ALTER TABLE user_pools ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

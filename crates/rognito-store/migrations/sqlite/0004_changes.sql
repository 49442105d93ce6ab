-- The change feed's outbox: every write adds the changes it made in its own transaction, and
-- other processes tail it by sequence number. Numbers are rowids, one above the largest; pruning
-- always keeps the newest row, so they never go back (AUTOINCREMENT would guarantee the same at
-- the cost of a second table updated on every insert). `origin` is a random number naming the process that wrote the row,
-- so it can skip its own changes (it applied them when it committed). Old rows are pruned by
-- sequence number (each process remembers which number it had reached an hour ago), so the
-- table needs no second index: every write pays for one row only.
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    origin  BIGINT NOT NULL,
    change  TEXT NOT NULL
);

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

//! The records' columns, in the order both engines select them, and how a row becomes a record:
//! written once for SQLite and PostgreSQL, which differ only in how a cell is read ([`Cells`]).

use crate::{
    AccessKeyRecord, ClientRecord, ClientSecretRecord, DomainRecord, GroupRecord, MessageRecord,
    ResourceServerRecord, SessionRecord, SigningKeyRecord, UserPoolRecord, UserRecord,
};

pub(crate) const POOL_COLUMNS: &str = "id, account_id, name, doc, created_ms, modified_ms, version";
pub(crate) const SERVER_COLUMNS: &str =
    "user_pool_id, identifier, name, scopes, created_ms, modified_ms";
/// How many columns [`SERVER_COLUMNS`] names.
pub(crate) const SERVER_COLUMN_COUNT: usize = 6;
/// After `SELECT`: a pool's resource server's columns (NULL when it has no such server) and,
/// after them, the pool's account; no row when the pool is missing. Parameters: pool id,
/// identifier (SQLite binds `$1` and `$2` by position, numbering names in order of first
/// appearance: `$1` must come first).
pub(crate) const SERVER_IN_POOL: &str = "user_pool_id, identifier, name, scopes, created_ms, \
     modified_ms, account FROM (SELECT id AS pool, account_id AS account FROM user_pools \
     WHERE id = $1) p LEFT JOIN resource_servers ON user_pool_id = p.pool AND identifier = $2";
pub(crate) const CLIENT_COLUMNS: &str =
    "client_id, user_pool_id, client_name, doc, created_ms, modified_ms";
pub(crate) const DOMAIN_COLUMNS: &str = "domain, user_pool_id, doc, created_ms, modified_ms";
pub(crate) const USER_COLUMNS: &str =
    "user_pool_id, username, doc, secrets, created_ms, modified_ms, version";
/// [`USER_COLUMNS`] qualified by the table name, for joins.
pub(crate) const USER_COLUMNS_OF_USERS: &str = "users.user_pool_id, users.username, users.doc, \
     users.secrets, users.created_ms, users.modified_ms, users.version";
pub(crate) const GROUP_COLUMNS: &str = "user_pool_id, group_name, doc, created_ms, modified_ms";
/// [`GROUP_COLUMNS`] qualified by the table name, for joins.
pub(crate) const GROUP_COLUMNS_OF_GROUPS: &str = "user_groups.user_pool_id, \
     user_groups.group_name, user_groups.doc, user_groups.created_ms, user_groups.modified_ms";
pub(crate) const SESSION_COLUMNS: &str =
    "user_pool_id, session_id, username, client_id, doc, created_ms, expires_ms";
pub(crate) const MESSAGE_COLUMNS: &str = "user_pool_id, message_id, username, doc, created_ms";
pub(crate) const ACCESS_KEY_COLUMNS: &str =
    "access_key_id, account_id, user_name, secret, created_ms";

/// A result row as its engine's driver reads it: text, integers (BIGINT) and bytes by column.
pub(crate) trait Cells {
    type Error;
    fn text(&self, column: usize) -> Result<String, Self::Error>;
    fn int(&self, column: usize) -> Result<i64, Self::Error>;
    fn bytes(&self, column: usize) -> Result<Vec<u8>, Self::Error>;
}

impl Cells for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, column: usize) -> rusqlite::Result<String> {
        self.get(column)
    }
    fn int(&self, column: usize) -> rusqlite::Result<i64> {
        self.get(column)
    }
    fn bytes(&self, column: usize) -> rusqlite::Result<Vec<u8>> {
        self.get(column)
    }
}

impl Cells for tokio_postgres::Row {
    type Error = tokio_postgres::Error;
    fn text(&self, column: usize) -> Result<String, tokio_postgres::Error> {
        self.try_get(column)
    }
    fn int(&self, column: usize) -> Result<i64, tokio_postgres::Error> {
        self.try_get(column)
    }
    fn bytes(&self, column: usize) -> Result<Vec<u8>, tokio_postgres::Error> {
        self.try_get(column)
    }
}

/// A record from a row holding its `*_COLUMNS`, in that order.
pub(crate) trait FromCells: Sized {
    fn from_cells<C: Cells + ?Sized>(row: &C) -> Result<Self, C::Error>;
}

impl FromCells for UserPoolRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(UserPoolRecord {
            id: r.text(0)?.into(),
            account_id: r.text(1)?.into(),
            name: r.text(2)?,
            doc: r.text(3)?,
            created_ms: r.int(4)?,
            modified_ms: r.int(5)?,
            version: r.int(6)?,
        })
    }
}

impl FromCells for ResourceServerRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(ResourceServerRecord {
            user_pool_id: r.text(0)?.into(),
            identifier: r.text(1)?,
            name: r.text(2)?,
            scopes: r.text(3)?,
            created_ms: r.int(4)?,
            modified_ms: r.int(5)?,
        })
    }
}

impl FromCells for ClientRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(ClientRecord {
            client_id: r.text(0)?.into(),
            user_pool_id: r.text(1)?.into(),
            client_name: r.text(2)?,
            doc: r.text(3)?,
            created_ms: r.int(4)?,
            modified_ms: r.int(5)?,
        })
    }
}

impl FromCells for ClientSecretRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(ClientSecretRecord {
            secret_id: r.text(0)?,
            client_id: r.text(1)?.into(),
            ciphertext: r.bytes(2)?,
            digest: r.bytes(3)?,
            created_ms: r.int(4)?,
        })
    }
}

impl FromCells for DomainRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(DomainRecord {
            domain: r.text(0)?,
            user_pool_id: r.text(1)?.into(),
            doc: r.text(2)?,
            created_ms: r.int(3)?,
            modified_ms: r.int(4)?,
        })
    }
}

impl FromCells for SigningKeyRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(SigningKeyRecord {
            kid: r.text(0)?,
            user_pool_id: r.text(1)?.into(),
            purpose: r.text(2)?,
            private_key: r.bytes(3)?,
            public_jwk: r.text(4)?,
            created_ms: r.int(5)?,
        })
    }
}

impl FromCells for AccessKeyRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(AccessKeyRecord {
            access_key_id: r.text(0)?,
            account_id: r.text(1)?.into(),
            user_name: r.text(2)?,
            secret: r.bytes(3)?,
            created_ms: r.int(4)?,
        })
    }
}

impl FromCells for UserRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(UserRecord {
            user_pool_id: r.text(0)?.into(),
            username: r.text(1)?,
            doc: r.text(2)?,
            secrets: r.bytes(3)?,
            created_ms: r.int(4)?,
            modified_ms: r.int(5)?,
            version: r.int(6)?,
        })
    }
}

impl FromCells for GroupRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(GroupRecord {
            user_pool_id: r.text(0)?.into(),
            group_name: r.text(1)?,
            doc: r.text(2)?,
            created_ms: r.int(3)?,
            modified_ms: r.int(4)?,
        })
    }
}

impl FromCells for SessionRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(SessionRecord {
            user_pool_id: r.text(0)?.into(),
            session_id: r.text(1)?,
            username: r.text(2)?,
            client_id: r.text(3)?.into(),
            doc: r.text(4)?,
            created_ms: r.int(5)?,
            expires_ms: r.int(6)?,
        })
    }
}

impl FromCells for MessageRecord {
    fn from_cells<C: Cells + ?Sized>(r: &C) -> Result<Self, C::Error> {
        Ok(MessageRecord {
            user_pool_id: r.text(0)?.into(),
            message_id: r.text(1)?,
            username: r.text(2)?,
            doc: r.text(3)?,
            created_ms: r.int(4)?,
        })
    }
}

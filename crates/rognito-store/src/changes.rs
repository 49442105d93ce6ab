//! The change feed: every committed write says what it changed, as typed [`Change`]s written
//! to an outbox in the same transaction as the write. Caches follow the feed instead of each
//! operation remembering what to forget.
//!
//! Two paths deliver the same changes to every [`ChangeListener`]:
//! - this process's own writes, after their commit and before the write call returns, so the
//!   next request on the same server sees the write;
//! - other processes' writes (the CLI, other nodes), by tailing the outbox from the last
//!   sequence number seen (each engine's tail says how soon; SQLite polls every
//!   [`TAIL_INTERVAL`]).
//!
//! Applying a change must be idempotent and cheap: it runs on the writing task.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rognito_model::{AccountId, ClientId, UserPoolId};
use serde::{Deserialize, Serialize};

/// How often an engine that polls its outbox looks for other processes' changes.
pub const TAIL_INTERVAL: Duration = Duration::from_millis(10);

/// How long outbox rows are kept: a tail that falls further behind (a process stopped longer
/// than this) starts again with empty caches, so older rows serve no one.
pub const OUTBOX_RETENTION: Duration = Duration::from_secs(3600);

/// What one committed write changed. Created, replaced and deleted records are named the same
/// way: a cache drops what it holds under the name and reads it again when next asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Change {
    /// A pool was created or its document replaced.
    UserPool { user_pool_id: UserPoolId },
    /// A pool was deleted, with everything its cascade removed.
    UserPoolDeleted {
        user_pool_id: UserPoolId,
        resource_servers: Vec<String>,
        clients: Vec<ClientId>,
        domain: Option<String>,
    },
    /// A resource server was created, replaced or deleted.
    ResourceServer {
        user_pool_id: UserPoolId,
        identifier: String,
    },
    /// An app client was created, replaced or deleted (with its secrets).
    Client {
        user_pool_id: UserPoolId,
        client_id: ClientId,
    },
    /// A secret of an app client was added or deleted.
    ClientSecret { client_id: ClientId },
    /// A domain was created, replaced or deleted.
    Domain {
        user_pool_id: UserPoolId,
        domain: String,
    },
    /// Signing keys were added to a pool.
    SigningKeys { user_pool_id: UserPoolId },
    /// An identity was created or deleted; `access_keys` are the keys created or removed with it.
    Identity {
        account_id: AccountId,
        user_name: String,
        access_keys: Vec<String>,
    },
    /// A policy of an identity was attached, replaced or detached.
    Policy {
        account_id: AccountId,
        user_name: String,
    },
    /// An account's provisioned rate for an API category was set (requests per second).
    ProvisionedLimit {
        account_id: AccountId,
        category: String,
        value: u32,
    },
    /// Anything may have changed: a tail fell further behind than the outbox keeps rows, so
    /// every cache drops everything. Never written; made by the tail that noticed.
    Everything,
}

/// A number for this store handle in the outbox: its pid and opening time, hashed (two handles
/// colliding would only make each skip the other's rows: astronomically rare).
pub(crate) fn origin_number() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    // Never 0, the origin of rows every process reads ([`EVERY_PROCESS`]).
    i64::try_from(hasher.finish() >> 1).unwrap_or(1).max(1)
}

/// The origin of outbox rows every process's tail reads, the writer's own included: rows with a
/// provisioned rate, which carries a value (applying every process's rates in commit order
/// leaves the newest one in force). No process has this number (see `origin_number`).
pub(crate) const EVERY_PROCESS: i64 = 0;

/// The origin an outbox row with `changes` is written under: `origin`, or [`EVERY_PROCESS`]
/// when they set a rate.
pub(crate) fn row_origin(origin: i64, changes: &[Change]) -> i64 {
    if changes
        .iter()
        .any(|c| matches!(c, Change::ProvisionedLimit { .. }))
    {
        EVERY_PROCESS
    } else {
        origin
    }
}

/// Something that follows the feed: told of every committed change, this process's and others'.
pub trait ChangeListener: Send + Sync {
    /// Applies committed changes, in commit order. Idempotent; must not block.
    fn apply(&self, changes: &[Change]);
}

/// The listeners of one store, and delivery to them.
#[derive(Default)]
pub struct Listeners(RwLock<Vec<Arc<dyn ChangeListener>>>);

impl Listeners {
    pub fn add(&self, listener: Arc<dyn ChangeListener>) {
        if let Ok(mut listeners) = self.0.write() {
            listeners.push(listener);
        }
    }

    pub fn publish(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        if let Ok(listeners) = self.0.read() {
            for listener in listeners.iter() {
                listener.apply(changes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outbox rows written by a build whose changes held plain strings: the id types must read
    /// and write them byte for byte.
    #[test]
    fn outbox_rows_keep_their_json_form() {
        let rows = [
            r#"{"kind":"UserPool","user_pool_id":"us-east-1_AbCdEfGhI"}"#,
            r#"{"kind":"UserPoolDeleted","user_pool_id":"us-east-1_AbCdEfGhI","resource_servers":["rs"],"clients":["c1","c2"],"domain":"d"}"#,
            r#"{"kind":"UserPoolDeleted","user_pool_id":"p","resource_servers":[],"clients":[],"domain":null}"#,
            r#"{"kind":"ResourceServer","user_pool_id":"p","identifier":"https://api"}"#,
            r#"{"kind":"Client","user_pool_id":"p","client_id":"c"}"#,
            r#"{"kind":"ClientSecret","client_id":"c"}"#,
            r#"{"kind":"Domain","user_pool_id":"p","domain":"d"}"#,
            r#"{"kind":"SigningKeys","user_pool_id":"p"}"#,
            r#"{"kind":"Identity","account_id":"000000000000","user_name":"u","access_keys":["AKIA"]}"#,
            r#"{"kind":"Policy","account_id":"000000000000","user_name":"u"}"#,
            r#"{"kind":"ProvisionedLimit","account_id":"000000000000","category":"UserPoolRead","value":40}"#,
        ];
        for row in rows {
            let change: Change = serde_json::from_str(row).expect(row);
            assert_eq!(serde_json::to_string(&change).expect(row), row);
        }
        let change: Change = serde_json::from_str(rows[1]).expect("row");
        assert_eq!(
            change,
            Change::UserPoolDeleted {
                user_pool_id: "us-east-1_AbCdEfGhI".into(),
                resource_servers: vec!["rs".to_owned()],
                clients: vec!["c1".into(), "c2".into()],
                domain: Some("d".to_owned()),
            }
        );
    }
}

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
    UserPool { user_pool_id: String },
    /// A pool was deleted, with everything its cascade removed.
    UserPoolDeleted {
        user_pool_id: String,
        resource_servers: Vec<String>,
        clients: Vec<String>,
        domain: Option<String>,
    },
    /// A resource server was created, replaced or deleted.
    ResourceServer {
        user_pool_id: String,
        identifier: String,
    },
    /// An app client was created, replaced or deleted (with its secrets).
    Client {
        user_pool_id: String,
        client_id: String,
    },
    /// A secret of an app client was added or deleted.
    ClientSecret { client_id: String },
    /// A domain was created, replaced or deleted.
    Domain {
        user_pool_id: String,
        domain: String,
    },
    /// Signing keys were added to a pool.
    SigningKeys { user_pool_id: String },
    /// An identity was created or deleted; `access_keys` are the keys created or removed with it.
    Identity {
        account_id: String,
        user_name: String,
        access_keys: Vec<String>,
    },
    /// A policy of an identity was attached, replaced or detached.
    Policy {
        account_id: String,
        user_name: String,
    },
    /// An account's provisioned rate for an API category was set (requests per second).
    ProvisionedLimit {
        account_id: String,
        category: String,
        value: u32,
    },
    /// Anything may have changed: a tail fell further behind than the outbox keeps rows, so
    /// every cache drops everything. Never written; made by the tail that noticed.
    Everything,
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

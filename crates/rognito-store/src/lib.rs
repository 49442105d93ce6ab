//! rognito's storage layer: the [`Store`] traits the operations layer talks to, the records it
//! stores, and its two engines: embedded SQLite ([`SqliteStore`], one process) and PostgreSQL
//! ([`PostgresStore`], several nodes sharing one database). Both keep the same tables (BIGINT
//! milliseconds, TEXT JSON documents, app-generated keys) and pass the same conformance suite
//! (`tests/conformance.rs`).
//!
//! The store knows nothing of Cognito's shapes or messages: documents are opaque JSON text and
//! failures are [`StoreError`] values that the operations layer turns into Cognito errors.
//! Every write method returns only once the change is durable (as the configured
//! [`Durability`] defines it); a failed write leaves nothing behind.

mod changes;
mod columns;
mod error;
mod migrate;
mod postgres;
mod records;
mod sqlite;

use async_trait::async_trait;
use rognito_model::{AccountId, ClientId, UserPoolId};

pub use changes::{Change, ChangeListener, OUTBOX_RETENTION, TAIL_INTERVAL};
pub use error::StoreError;
pub use migrate::{CopyReport, copy_sqlite_to_postgres};
pub use postgres::{
    DEFAULT_POLL_INTERVAL, MAX_ATTEMPTS, NODE_TIMEOUT, PostgresOptions, PostgresStore, PostgresUrl,
};
pub use records::{
    AccessKeyRecord, ClientRecord, ClientSecretRecord, DomainRecord, GroupRecord, IdentityRecord,
    MessageRecord, Page, PolicyRecord, ResourceServerRecord, SealedSample, SessionRecord,
    SigningKeyRecord, UserPoolRecord, UserRecord,
};
pub use sqlite::{DATABASE_FILE, Durability, SqliteStore};

/// Which engine holds rognito's data, and how. Every command opens its store from this, with
/// [`open`] (or [`open_for_seeding`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded SQLite database (`rognito.sqlite3`) in `data_dir`, which must exist.
    Sqlite {
        data_dir: std::path::PathBuf,
        durability: Durability,
    },
    /// A PostgreSQL database, which several rognito nodes may share.
    Postgres(PostgresOptions),
}

impl StoreConfig {
    /// Whether nothing is written to disk (everything is lost when the process exits).
    pub fn is_memory(&self) -> bool {
        matches!(
            self,
            StoreConfig::Sqlite {
                durability: Durability::Memory,
                ..
            }
        )
    }
}

/// Opens the configured store, creating its database and bringing the schema up to date.
/// `StoreError::Open` when it cannot.
pub async fn open(config: &StoreConfig) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    let store: std::sync::Arc<dyn SeedStore> = open_for_seeding(config).await?;
    Ok(store)
}

/// A store that keeps everything in this process's memory (tests, throwaway runs): nothing is
/// written to disk, and it is gone when the last handle is dropped.
///
/// Errors: [`StoreError::Open`] when SQLite cannot start.
pub async fn open_in_memory() -> Result<std::sync::Arc<dyn Store>, StoreError> {
    open(&StoreConfig::Sqlite {
        data_dir: std::path::PathBuf::new(),
        durability: Durability::Memory,
    })
    .await
}

/// [`open`], for the one command that bulk-loads (`rognito seed`).
pub async fn open_for_seeding(
    config: &StoreConfig,
) -> Result<std::sync::Arc<dyn SeedStore>, StoreError> {
    match config {
        StoreConfig::Sqlite {
            data_dir,
            durability,
        } => Ok(std::sync::Arc::new(
            SqliteStore::open(data_dir, *durability).await?,
        )),
        StoreConfig::Postgres(options) => {
            Ok(std::sync::Arc::new(PostgresStore::open(options).await?))
        }
    }
}

/// Everything the control plane persists, and the feed of what changed.
pub trait Store:
    UserPoolStore
    + ResourceServerStore
    + ClientStore
    + DomainStore
    + UserStore
    + GroupStore
    + SessionStore
    + IdentityStore
    + LimitStore
    + ChangeStore
    + ServerStore
{
}

impl<T> Store for T where
    T: UserPoolStore
        + ResourceServerStore
        + ClientStore
        + DomainStore
        + UserStore
        + GroupStore
        + SessionStore
        + IdentityStore
        + LimitStore
        + ChangeStore
        + ServerStore
{
}

/// The current time in milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
pub trait UserPoolStore: Send + Sync + 'static {
    /// Inserts a pool with its signing keys, failing with `LimitExceeded` when the account
    /// already has `max_pools_per_account` pools and `AlreadyExists` on an id collision.
    async fn create_user_pool(
        &self,
        pool: &UserPoolRecord,
        keys: &[SigningKeyRecord],
        max_pools_per_account: u64,
    ) -> Result<(), StoreError>;

    async fn user_pool(&self, id: &str) -> Result<Option<UserPoolRecord>, StoreError>;

    /// The account a pool belongs to (without reading its document).
    async fn user_pool_account(&self, id: &str) -> Result<Option<AccountId>, StoreError>;

    /// Pools of an account in id order, starting after `after`.
    async fn list_user_pools(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserPoolRecord>, StoreError>;

    /// Replaces a pool's name and document (and its modification time) if its version is still
    /// `pool.version`, storing it as the next version: `Ok(None)` when there is no such pool,
    /// `Conflict` when another write replaced it since it was read (read again and retry).
    /// Returns the stored record.
    async fn replace_user_pool(
        &self,
        pool: &UserPoolRecord,
    ) -> Result<Option<UserPoolRecord>, StoreError>;

    /// Deletes a pool and everything in it if its version is still `version` (what the caller
    /// checked, e.g. deletion protection, still holds). `Ok(false)` when there was no such pool,
    /// `Conflict` when it was replaced since it was read.
    async fn delete_user_pool(&self, id: &str, version: i64) -> Result<bool, StoreError>;

    async fn signing_keys(&self, user_pool_id: &str) -> Result<Vec<SigningKeyRecord>, StoreError>;

    /// Adds keys to existing pools (`NotFound` for a missing pool): for pools stored without
    /// keys (the benchmark's bulk seeding), whose keys are made when first needed.
    async fn add_signing_keys(&self, keys: &[SigningKeyRecord]) -> Result<(), StoreError>;
}

#[async_trait]
pub trait ResourceServerStore: Send + Sync + 'static {
    /// Inserts a resource server: `NotFound` when the pool is missing, `AlreadyExists` when the
    /// identifier is taken in the pool, `LimitExceeded` when the pool has `max_per_pool` already.
    async fn create_resource_server(
        &self,
        server: &ResourceServerRecord,
        max_per_pool: u64,
    ) -> Result<(), StoreError>;

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError>;

    /// The pool's account and the server, in one read (a Describe that finds neither cached):
    /// `None` when the pool is missing, `Some((account, None))` when the server is.
    async fn resource_server_in_pool(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<(AccountId, Option<ResourceServerRecord>)>, StoreError>;

    /// Servers of a pool in identifier order, starting after `after`.
    async fn list_resource_servers(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError>;

    /// Replaces name and scopes of an existing server (identifier and creation time are kept).
    /// Returns the stored record, or `None` when there is no such server.
    async fn replace_resource_server(
        &self,
        server: &ResourceServerRecord,
    ) -> Result<Option<ResourceServerRecord>, StoreError>;

    async fn delete_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    /// Inserts a client and its first secret (if any): `NotFound` when the pool is missing,
    /// `LimitExceeded` at `max_per_pool` clients, `AlreadyExists` on a client id collision.
    async fn create_client(
        &self,
        client: &ClientRecord,
        secret: Option<&ClientSecretRecord>,
        max_per_pool: u64,
    ) -> Result<(), StoreError>;

    /// A client by its id (ids are unique across pools).
    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError>;

    async fn list_clients(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ClientRecord>, StoreError>;

    /// Replaces the document and name of an existing client of `user_pool_id`; `None` when
    /// there is no such client in that pool.
    async fn replace_client(
        &self,
        client: &ClientRecord,
    ) -> Result<Option<ClientRecord>, StoreError>;

    async fn delete_client(
        &self,
        user_pool_id: &UserPoolId,
        client_id: &ClientId,
    ) -> Result<bool, StoreError>;

    /// The client's secrets, oldest first.
    async fn client_secrets(&self, client_id: &str) -> Result<Vec<ClientSecretRecord>, StoreError>;

    /// Adds a secret: `NotFound` without the client, `LimitExceeded` when it has `max` already.
    async fn add_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max: u64,
    ) -> Result<(), StoreError>;

    /// Deletes one secret: `Ok(false)` when there is no such secret, `Conflict` when it is the
    /// client's last one.
    async fn delete_client_secret(
        &self,
        client_id: &str,
        secret_id: &str,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait DomainStore: Send + Sync + 'static {
    /// `NotFound` without the pool, `AlreadyExists` when the domain is taken (by any pool),
    /// `Conflict` when the pool has a domain already.
    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError>;

    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError>;

    async fn domain_of_pool(&self, user_pool_id: &str) -> Result<Option<DomainRecord>, StoreError>;

    /// Replaces the document of the domain if it belongs to `user_pool_id`.
    async fn replace_domain(
        &self,
        domain: &DomainRecord,
    ) -> Result<Option<DomainRecord>, StoreError>;

    async fn delete_domain(&self, user_pool_id: &str, domain: &str) -> Result<bool, StoreError>;
}

/// The users of pools. A user is found by any of its keys (see the `user_keys` table): names
/// the operations layer makes from the username, the sub and the alias attributes, unique in
/// the pool. Users are not cached, so these writes record no [`Change`].
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Inserts a user with its keys: `NotFound` when the pool is missing, `AlreadyExists` when
    /// the username or one of `keys` is taken in the pool (nothing is written then).
    async fn create_user(&self, user: &UserRecord, keys: &[String]) -> Result<(), StoreError>;

    /// The user one of whose keys is `key`.
    async fn user_by_key(
        &self,
        user_pool_id: &str,
        key: &str,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Replaces a user's document and secrets if its version is still `user.version`, storing
    /// it as the next version, and, when `keys` is given, its whole set of keys. `Ok(None)`
    /// when there is no such user, `Conflict` when another write replaced it since it was read,
    /// `AlreadyExists` when one of the new keys belongs to another user (nothing is written).
    async fn replace_user(
        &self,
        user: &UserRecord,
        keys: Option<&[String]>,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Deletes a user with its keys, memberships and sessions; `Ok(false)` when there was none.
    async fn delete_user(&self, user_pool_id: &str, username: &str) -> Result<bool, StoreError>;

    /// Users of a pool in username order, starting after `after`.
    async fn list_users(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError>;

    /// How many users the pool has (DescribeUserPool's `EstimatedNumberOfUsers`).
    async fn user_count(&self, user_pool_id: &str) -> Result<u64, StoreError>;

    /// Adds a message to the sink and keeps only the user's `keep` newest (`NotFound` without
    /// the pool).
    async fn add_message(&self, message: &MessageRecord, keep: u32) -> Result<(), StoreError>;

    /// A pool's messages, newest first: every user's, or one username's.
    async fn messages(
        &self,
        user_pool_id: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError>;
}

/// Groups of a pool and their members.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// `NotFound` without the pool, `AlreadyExists` when the name is taken, `LimitExceeded`
    /// when the pool has `max_per_pool` groups.
    async fn create_group(&self, group: &GroupRecord, max_per_pool: u64) -> Result<(), StoreError>;

    async fn group(
        &self,
        user_pool_id: &str,
        group_name: &str,
    ) -> Result<Option<GroupRecord>, StoreError>;

    /// Groups of a pool in name order, starting after `after`.
    async fn list_groups(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<GroupRecord>, StoreError>;

    /// Replaces an existing group's document; `None` when there is no such group.
    async fn replace_group(&self, group: &GroupRecord) -> Result<Option<GroupRecord>, StoreError>;

    /// Deletes a group and its memberships; `Ok(false)` when there was none.
    async fn delete_group(&self, user_pool_id: &str, group_name: &str) -> Result<bool, StoreError>;

    /// Makes a user a member (again: no error when it is one): `NotFound` when the group or the
    /// user is missing.
    async fn add_to_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        username: &str,
    ) -> Result<(), StoreError>;

    /// `Ok(false)` when the user was not a member.
    async fn remove_from_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        username: &str,
    ) -> Result<bool, StoreError>;

    /// The groups a user is in, in name order, starting after `after`.
    async fn groups_of_user(
        &self,
        user_pool_id: &str,
        username: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<GroupRecord>, StoreError>;

    /// A group's members in username order, starting after `after`.
    async fn users_in_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError>;
}

/// Sign-in sessions: one row per refresh-token family.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// `NotFound` when the user is gone; `AlreadyExists` on an id collision.
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;

    async fn session(
        &self,
        user_pool_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Replaces an existing session's document and expiry if its document is still
    /// `expected_doc` (refresh-token rotation's compare-and-swap); `Ok(false)` when there is no
    /// such session or it changed since it was read.
    async fn replace_session(
        &self,
        session: &SessionRecord,
        expected_doc: &str,
    ) -> Result<bool, StoreError>;

    /// `Ok(false)` when there was none.
    async fn delete_session(
        &self,
        user_pool_id: &str,
        session_id: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes every session of a user (global sign-out); how many there were.
    async fn delete_sessions_of(
        &self,
        user_pool_id: &str,
        username: &str,
    ) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Creates an identity with its first access key: `AlreadyExists` when the name is taken in
    /// the account (or, astronomically rarely, the key id is).
    async fn create_identity(
        &self,
        identity: &IdentityRecord,
        key: &AccessKeyRecord,
    ) -> Result<(), StoreError>;

    async fn identities(&self, account_id: Option<&str>)
    -> Result<Vec<IdentityRecord>, StoreError>;

    /// Deletes an identity with its keys and policies; `Ok(false)` when there was none.
    async fn delete_identity(&self, account_id: &str, user_name: &str) -> Result<bool, StoreError>;

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError>;

    async fn access_keys_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError>;

    /// Attaches (or replaces) a named policy: `NotFound` without the identity.
    async fn put_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError>;

    async fn delete_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<bool, StoreError>;

    async fn policies_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError>;
}

/// Bulk loading, for the benchmark's scale scenario only: not part of what the server needs.
#[async_trait]
pub trait SeedStore: Store {
    /// Loads pools and their resource servers in one transaction, keeping the quota counters
    /// right but not enforcing quotas: the benchmark's fast seeding path.
    async fn bulk_load(
        &self,
        pools: Vec<UserPoolRecord>,
        servers: Vec<ResourceServerRecord>,
    ) -> Result<(), StoreError>;
}

/// Provisioned request rates (UpdateProvisionedLimit), stored so they survive restarts and reach
/// every node.
#[async_trait]
pub trait LimitStore: Send + Sync + 'static {
    /// Every provisioned rate: (account, API category name, requests per second).
    async fn provisioned_limits(&self) -> Result<Vec<(AccountId, String, u32)>, StoreError>;

    /// Sets an account's rate for a category (replacing any earlier one).
    async fn put_provisioned_limit(
        &self,
        account_id: &str,
        category: &str,
        rate: u32,
    ) -> Result<(), StoreError>;
}

/// The change feed (see [`Change`]): every write above records what it changed.
#[async_trait]
pub trait ChangeStore: Send + Sync + 'static {
    /// Registers a listener for every committed change: this process's own, after the commit
    /// and before the write call returns; and, where other processes can share the database,
    /// theirs, tailed from the outbox (SQLite: within about [`TAIL_INTERVAL`]).
    fn subscribe(&self, listener: std::sync::Arc<dyn ChangeListener>) -> Result<(), StoreError>;

    /// The outbox after sequence number `after`, oldest first, at most `limit` rows (rows older
    /// than [`OUTBOX_RETENTION`] are pruned).
    async fn changes_after(&self, after: u64, limit: u32)
    -> Result<Vec<(u64, Change)>, StoreError>;
}

#[async_trait]
pub trait ServerStore: Send + Sync + 'static {
    /// A server-wide value, generated by `init` and stored the first time it is asked for.
    async fn server_setting(
        &self,
        name: &str,
        init: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError>;

    /// A server-wide value, if it has been stored.
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Any one value sealed under the master key (an access key's secret, a client secret or a
    /// signing key), to check a master key against; `None` when the database holds none.
    async fn sealed_sample(&self) -> Result<Option<SealedSample>, StoreError>;

    /// Flushes and closes the database; later calls fail.
    async fn close(&self);

    /// How many rognito servers share this store now (at least 1), kept current by the engine
    /// while this process follows the change feed: with PostgreSQL, the servers whose heartbeat
    /// (every second) is at most [`NODE_TIMEOUT`] old; with SQLite, always 1 (one server per
    /// data dir). What an account's request rate is divided by on each node.
    fn live_nodes(&self) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
        std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1))
    }

    /// Whether the database answered this process's last look (PostgreSQL: the heartbeat and
    /// the change feed's reads, at least every second while this process follows the feed;
    /// SQLite: always, it is a file of this process's). Read by `/health` without a query.
    fn reachable(&self) -> bool {
        true
    }
}

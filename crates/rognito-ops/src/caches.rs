//! Every read cache of the operations layer, and how each follows the change feed: a committed
//! write's [`Change`]s (this process's, before the write is acknowledged; other processes', as
//! the store tails them) drop exactly the entries they name. No operation invalidates anything
//! itself.

use rognito_model::{AccountId, ClientId, UserPoolId};
use rognito_store::{Change, ChangeListener};

use crate::cache::Cache;
use crate::{resource_servers, signing, tokens};

pub(crate) struct Caches {
    /// Each pool's signing keys, decrypted and parsed once.
    pub(crate) pool_keys: Cache<UserPoolId, signing::PoolKeys>,
    /// What token issuing needs of each client (secret digests, flows, scopes).
    pub(crate) client_views: Cache<ClientId, tokens::ClientView>,
    /// Each pool's account (every pool-scoped operation checks it).
    pub(crate) pool_accounts: Cache<UserPoolId, AccountId>,
    /// Each pool's resource servers and the `identifier/scope` strings they define.
    pub(crate) pool_servers: Cache<UserPoolId, resource_servers::PoolServers>,
    /// Single resource servers as Describe returns them, by (pool, identifier): a Describe
    /// that misses reads one row, not the whole pool.
    pub(crate) server_json: Cache<(UserPoolId, String), Box<serde_json::value::RawValue>>,
    /// Pool id → its domain, and domain → its pool.
    pub(crate) pool_domains: Cache<UserPoolId, Option<String>>,
    pub(crate) domain_pools: Cache<String, Option<UserPoolId>>,
}

impl Caches {
    pub(crate) fn new() -> Self {
        Caches {
            pool_keys: Cache::new(10_000),
            client_views: Cache::new(100_000),
            pool_accounts: Cache::new(200_000),
            pool_servers: Cache::new(20_000),
            server_json: Cache::new(200_000),
            pool_domains: Cache::new(100_000),
            domain_pools: Cache::new(100_000),
        }
    }

    fn apply_one(&self, change: &Change) {
        match change {
            Change::UserPool { user_pool_id } => self.pool_accounts.invalidate(user_pool_id),
            Change::UserPoolDeleted {
                user_pool_id,
                resource_servers,
                clients,
                domain,
            } => {
                self.pool_keys.invalidate(user_pool_id);
                self.pool_accounts.invalidate(user_pool_id);
                self.pool_servers.invalidate(user_pool_id);
                self.pool_domains.invalidate(user_pool_id);
                for identifier in resource_servers {
                    self.server_json
                        .invalidate(&(user_pool_id.clone(), identifier.clone()));
                }
                for client_id in clients {
                    self.client_views.invalidate(client_id);
                }
                if let Some(domain) = domain {
                    self.domain_pools.invalidate(domain);
                }
            }
            Change::ResourceServer {
                user_pool_id,
                identifier,
            } => {
                self.pool_servers.invalidate(user_pool_id);
                self.server_json
                    .invalidate(&(user_pool_id.clone(), identifier.clone()));
            }
            Change::Client { client_id, .. } | Change::ClientSecret { client_id } => {
                self.client_views.invalidate(client_id);
            }
            Change::Domain {
                user_pool_id,
                domain,
            } => {
                self.pool_domains.invalidate(user_pool_id);
                self.domain_pools.invalidate(domain);
            }
            Change::SigningKeys { user_pool_id } => self.pool_keys.invalidate(user_pool_id),
            // Identities, policies and rates are the access gateway's.
            Change::Identity { .. } | Change::Policy { .. } | Change::ProvisionedLimit { .. } => {}
            Change::Everything => {
                self.pool_keys.invalidate_all();
                self.client_views.invalidate_all();
                self.pool_accounts.invalidate_all();
                self.pool_servers.invalidate_all();
                self.server_json.invalidate_all();
                self.pool_domains.invalidate_all();
                self.domain_pools.invalidate_all();
            }
        }
    }
}

impl ChangeListener for Caches {
    fn apply(&self, changes: &[Change]) {
        for change in changes {
            self.apply_one(change);
        }
    }
}

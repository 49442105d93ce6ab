//! Cognito's semantics over the [`Store`]: ids, defaults, quotas, update rules and AWS's exact
//! error texts. One module per resource family; every public operation takes already-validated
//! model input (see `rognito-protocol`) and returns model output or a [`CognitoError`].

mod api;
pub mod auth_failures;
pub mod cache;
mod caches;
mod client_rules;
mod client_secrets;
mod clients;
pub mod clock;
mod config;
mod crypto;
mod discovery;
mod domains;
mod groups;
mod identity_providers;
pub mod ids;
pub mod key_check;
mod keys;
mod pagination;
pub mod provisioned_limits;
mod resource_servers;
mod sign_in;
mod signing;
pub mod srp;
mod tokens;
pub mod totp;
pub mod user_filter;
mod user_pools;
mod users;

use std::sync::Arc;

use rognito_model::CognitoError;
use rognito_store::{Store, StoreError};

pub use config::{OpsConfig, Quotas};
pub use crypto::{MasterKey, access_key_context};
pub use keys::Jwk;
pub use provisioned_limits::{RateMeter, Unmetered, throttled};
pub use rognito_model::{CognitoApi, RequestContext};
pub use tokens::{IssuedToken, OAuthError, TokenEndpointRequest};
pub use users::PasswordHashing;
pub use users::codes::Message;

/// The Cognito control plane: every operation rognito implements, over one store.
pub struct Cognito {
    store: Arc<dyn Store>,
    config: OpsConfig,
    pages: pagination::PageTokens,
    master: Arc<MasterKey>,
    /// Where the time comes from (the system's; tests set their own).
    clock: Arc<dyn rognito_model::Clock>,
    /// The read caches, which follow the store's change feed.
    caches: Arc<caches::Caches>,
    /// The request-rate limiter (the access gateway's), for what operations charge themselves.
    meter: Arc<dyn RateMeter>,
    /// Budgets of failed client authentications, per address and per client.
    auth_failures: auth_failures::AuthFailures,
    /// Turns of this process's read-modify-writes of pool documents.
    pool_writers: PoolWriters,
    /// A password hash checked for users that do not exist, so that costs as much as a wrong
    /// password (made on first need, with the configured hashing).
    decoy_password: std::sync::OnceLock<String>,
    /// Turns for CPU-heavy credential work (argon2id, SRP's modular exponentiations): one per
    /// core, so a burst of sign-ins queues instead of running hundreds of 19 MiB hashes at once
    /// on the blocking pool.
    heavy: tokio::sync::Semaphore,
}

/// Locks that make this process's writers of one pool document take turns: a fixed set of
/// stripes, a pool's stripe chosen by its id's hash (bounded memory; unrelated pools rarely
/// share one, and then only wait).
struct PoolWriters {
    stripes: Vec<tokio::sync::Mutex<()>>,
}

impl PoolWriters {
    const STRIPES: usize = 64;

    fn new() -> Self {
        PoolWriters {
            stripes: (0..Self::STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// Waits for the turn of pool `id`'s writers; the turn lasts as long as the guard.
    async fn turn(&self, id: &str) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
        let stripe = usize::try_from(hash % Self::STRIPES as u64).unwrap_or(0);
        Some(self.stripes.get(stripe)?.lock().await)
    }
}

impl Cognito {
    /// Builds the service: reads (or creates on first start) the key that signs page tokens and
    /// subscribes the caches to the store's change feed. `master` seals client secrets and
    /// signing keys at rest; `meter` is charged by the operations that meter themselves
    /// (GetClientToken and the token endpoint, once the client authenticated).
    ///
    /// Errors: the store cannot be read or followed.
    pub async fn new(
        store: Arc<dyn Store>,
        config: OpsConfig,
        master: Arc<MasterKey>,
        meter: Arc<dyn RateMeter>,
    ) -> Result<Self, StoreError> {
        let pages = pagination::PageTokens::load(store.as_ref()).await?;
        let caches = Arc::new(caches::Caches::new());
        store.subscribe(caches.clone())?;
        Ok(Cognito {
            store,
            config,
            pages,
            master,
            clock: Arc::new(rognito_model::SystemClock),
            caches,
            meter,
            auth_failures: auth_failures::AuthFailures::default(),
            pool_writers: PoolWriters::new(),
            decoy_password: std::sync::OnceLock::new(),
            heavy: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
        })
    }

    /// The service on a store in this process's memory, with a random master key, Cognito's
    /// default quotas in us-east-1 and no rate limits: Cognito's semantics without HTTP or
    /// disk, for tests and tools (`tests/semantics.rs`).
    ///
    /// Errors: the memory store cannot start.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let store = rognito_store::open_in_memory().await?;
        let master = MasterKey::random()
            .map_err(|_| StoreError::Open("the system's random number generator failed".into()))?;
        let config = OpsConfig {
            region: "us-east-1".into(),
            quotas: Quotas::default(),
            issuer_base: "http://127.0.0.1:9229".into(),
            public_url: "http://127.0.0.1:9229".into(),
            password_hashing: PasswordHashing::Fast,
        };
        Cognito::new(store, config, Arc::new(master), Arc::new(Unmetered)).await
    }

    /// The same service reading the time from `clock` (tests move it: token expiry, ...).
    pub fn with_clock(mut self, clock: Arc<dyn rognito_model::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where the service reads the time.
    pub fn clock(&self) -> &Arc<dyn rognito_model::Clock> {
        &self.clock
    }

    pub fn config(&self) -> &OpsConfig {
        &self.config
    }
}

/// The one place storage failures become Cognito errors: unexpected ones are logged with their
/// detail and answered with a generic InternalErrorException.
fn internal(e: StoreError) -> CognitoError {
    tracing::error!(error = %e, "storage failure");
    CognitoError::internal()
}

impl Cognito {
    /// Charges an unsigned user operation (by app client or access token) to the pool's
    /// account once the caller is known: `TooManyRequestsException` over the category's rate.
    /// (Signed operations are charged by the gateway.)
    pub(crate) fn charge_user_operation(
        &self,
        pool: &users::PoolView,
        category: rognito_model::ApiCategory,
    ) -> Result<(), CognitoError> {
        if self.meter.charge(&pool.account_id, category) {
            Ok(())
        } else {
            Err(throttled())
        }
    }
}

impl Cognito {
    /// Runs CPU-heavy credential work (a password hash, SRP arithmetic) off the async threads,
    /// at most one job per core at a time.
    ///
    /// Errors: `InternalErrorException` if the job panicked or the service is shutting down.
    pub(crate) async fn heavy<T, F>(&self, job: F) -> Result<T, CognitoError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _turn = self
            .heavy
            .acquire()
            .await
            .map_err(|_| CognitoError::internal())?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|_| CognitoError::internal())
    }
}

/// The value of a member that validation has already required; a missing one here is a bug in
/// rognito, answered as an internal error rather than a panic.
fn required<'a, T: ?Sized>(value: Option<&'a T>, member: &str) -> Result<&'a T, CognitoError> {
    value.ok_or_else(|| {
        tracing::error!(member, "required member missing after validation");
        CognitoError::internal()
    })
}

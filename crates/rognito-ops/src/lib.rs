//! Cognito's semantics over the [`Store`]: ids, defaults, quotas, update rules and AWS's exact
//! error texts. One module per resource family; every public operation takes already-validated
//! model input (see `rognito-protocol`) and returns model output or a [`CognitoError`].

mod api;
pub mod auth_failures;
mod authorize;
mod cache;
mod caches;
mod client_rules;
mod client_secrets;
mod clients;
pub mod clock;
mod config;
mod crypto;
mod discovery;
mod domains;
pub mod iam;
mod identities;
mod ids;
pub mod key_check;
mod keys;
mod pagination;
pub mod rate_limits;
mod resource_servers;
mod signing;
mod tokens;
mod user_pools;

use std::sync::Arc;

use rognito_model::CognitoError;
use rognito_store::{Store, StoreError};

pub use config::{OpsConfig, Quotas};
pub use crypto::MasterKey;
pub use identities::{ALLOW_ALL, IdentityError, NewAccessKey, ROOT_USER, RootKey, user_arn};
pub use keys::Jwk;
pub use rognito_model::{CognitoApi, RequestContext};
pub use tokens::{IssuedToken, OAuthError, TokenEndpointRequest};

/// The Cognito control plane: every operation rognito implements, over one store.
pub struct Cognito {
    store: Arc<dyn Store>,
    config: OpsConfig,
    pages: pagination::PageTokens,
    master: MasterKey,
    /// Where the time comes from (the system's; tests set their own).
    clock: Arc<dyn rognito_model::Clock>,
    /// The read caches, which follow the store's change feed.
    caches: Arc<caches::Caches>,
    rate_limits: Arc<rate_limits::RateLimits>,
    /// Budgets of failed client authentications, per address and per client.
    auth_failures: auth_failures::AuthFailures,
}

impl Cognito {
    /// Builds the service: reads (or creates on first start) the key that signs page tokens,
    /// loads the provisioned rates, and subscribes the caches to the store's change feed.
    /// `master` seals client secrets and signing keys at rest.
    pub async fn new(
        store: Arc<dyn Store>,
        config: OpsConfig,
        master: MasterKey,
        rate_limits: rate_limits::RateLimits,
    ) -> Result<Self, StoreError> {
        let pages = pagination::PageTokens::load(store.as_ref()).await?;
        let rate_limits = Arc::new(rate_limits);
        let caches = Arc::new(caches::Caches::new(rate_limits.clone()));
        // Following the feed first, then reading the stored rates: a rate set in between is
        // both read and delivered, and the feed's (later) value wins.
        store.subscribe(caches.clone())?;
        for (account, category, rate) in store.provisioned_limits().await? {
            if let Some(category) = rognito_model::ApiCategory::from_name(&category) {
                rate_limits.set_provisioned(&account, category, rate);
            }
        }
        Ok(Cognito {
            store,
            config,
            pages,
            master,
            clock: Arc::new(rognito_model::SystemClock),
            caches,
            rate_limits,
            auth_failures: auth_failures::AuthFailures::default(),
        })
    }

    /// The same service reading the time from `clock` (tests move it: token expiry, ...).
    pub fn with_clock(mut self, clock: Arc<dyn rognito_model::Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &OpsConfig {
        &self.config
    }

    /// For offline tools (seeding) that work in a region other than the default.
    pub fn set_region(&mut self, region: &str) {
        self.config.region = region.to_owned();
    }
}

/// The one place storage failures become Cognito errors: unexpected ones are logged with their
/// detail and answered with a generic InternalErrorException.
fn internal(e: StoreError) -> CognitoError {
    tracing::error!(error = %e, "storage failure");
    CognitoError::internal()
}

/// The value of a member that validation has already required; a missing one here is a bug in
/// rognito, answered as an internal error rather than a panic.
fn required<'a, T: ?Sized>(value: Option<&'a T>, member: &str) -> Result<&'a T, CognitoError> {
    value.ok_or_else(|| {
        tracing::error!(member, "required member missing after validation");
        CognitoError::internal()
    })
}

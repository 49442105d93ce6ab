//! Cognito's semantics over the [`Store`]: ids, defaults, quotas, update rules and AWS's exact
//! error texts. One module per resource family; every public operation takes already-validated
//! model input (see `rognito-protocol`) and returns model output or a [`CognitoError`].

mod clock;
mod config;
mod ids;
mod pagination;
mod resource_servers;
mod user_pools;

use std::sync::Arc;

use rognito_model::CognitoError;
use rognito_store::{Store, StoreError};

pub use config::{OpsConfig, Quotas};

/// Who is calling: operations only ever see the caller's own account's resources.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub account_id: String,
    pub request_id: String,
}

/// The Cognito control plane: every operation rognito implements, over one store.
pub struct Cognito {
    store: Arc<dyn Store>,
    config: OpsConfig,
    pages: pagination::PageTokens,
}

impl Cognito {
    /// Builds the service; reads (or creates on first start) the key that signs page tokens.
    pub async fn new(store: Arc<dyn Store>, config: OpsConfig) -> Result<Self, StoreError> {
        let pages = pagination::PageTokens::load(store.as_ref()).await?;
        Ok(Cognito {
            store,
            config,
            pages,
        })
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

/// The value of a member that validation has already required; a missing one here is a bug in
/// rognito, answered as an internal error rather than a panic.
fn required<'a, T: ?Sized>(value: Option<&'a T>, member: &str) -> Result<&'a T, CognitoError> {
    value.ok_or_else(|| {
        tracing::error!(member, "required member missing after validation");
        CognitoError::internal()
    })
}

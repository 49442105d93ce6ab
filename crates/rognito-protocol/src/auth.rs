//! Who sent a request: the `Authenticator` hook that runs before any typed decoding, and its
//! SigV4 implementation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lc_rs::hmac;
use http::{HeaderMap, Method, Uri};
use rognito_model::Operation;
use secrecy::{ExposeSecret, SecretString};

use crate::{Principal, WireError, sigv4};

/// The parts of a request a signature covers, as received.
pub struct RequestHead<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Decides who sent a request. Runs after the operation is known and before the body is decoded
/// into typed input, so an unauthenticated caller learns nothing from decoding or validation.
#[async_trait]
pub trait Authenticator: Send + Sync {
    async fn authenticate(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<Principal, WireError>;

    /// The checks that need no body (for SigV4: the header's form, the date, the scope and the
    /// access key), run before the body is read so that a caller who cannot authenticate never
    /// makes the server buffer one. Errors are the ones [`Authenticator::authenticate`] would
    /// give, in its order; `head.body` is empty and must not be used.
    async fn check_head(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<(), WireError> {
        let _ = (operation, head);
        Ok(())
    }

    /// Authenticates a request to an endpoint that names its operation by its path rather than
    /// by `X-Amz-Target` (`GET /_rognito/messages`, acting as `operation`): the same checks
    /// and errors as [`Authenticator::authenticate`], but the signature need not cover an
    /// `X-Amz-Target` header (the path it covers names the operation).
    async fn authenticate_path(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<Principal, WireError> {
        self.authenticate(operation, head).await
    }
}

/// Where access keys are looked up.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// The principal and secret access key of an access key id; None for an unknown key.
    async fn credentials(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, SecretString)>, WireError>;
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Full SigV4 verification against the stored access keys.
    SigV4,
    /// Any well-formed, fresh signature is accepted and acts as the default account: for
    /// throwaway local use only.
    Dev,
}

struct CachedKey {
    /// The credential scope's day (`YYYYMMDD`) the key was derived for.
    date: String,
    key: hmac::Key,
    principal: Principal,
}

/// SigV4 verification, with the derived signing key of each access key (for its current day)
/// cached, looked up by the borrowed key id (no allocation per request). A deleted key is
/// dropped when the store's change feed says so ([`SigV4Authenticator::forget_access_keys`]).
pub struct SigV4Authenticator {
    mode: AuthMode,
    region: String,
    default_account: rognito_model::AccountId,
    credentials: Arc<dyn CredentialSource>,
    keys: Mutex<HashMap<String, Arc<CachedKey>>>,
    /// Bumped by every forget: a lookup that started before one does not cache its result.
    generation: std::sync::atomic::AtomicU64,
    /// What a request's date is checked against (the system's; tests set their own).
    clock: Arc<dyn rognito_model::Clock>,
}

impl SigV4Authenticator {
    pub fn new(
        mode: AuthMode,
        region: String,
        default_account: rognito_model::AccountId,
        credentials: Arc<dyn CredentialSource>,
    ) -> Self {
        SigV4Authenticator {
            mode,
            region,
            default_account,
            credentials,
            keys: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            clock: Arc::new(rognito_model::SystemClock),
        }
    }

    /// The same authenticator checking request dates against `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn rognito_model::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Drops every cached key (the change feed lost track of what changed).
    pub fn forget_all_access_keys(&self) {
        if let Ok(mut keys) = self.keys.lock() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            keys.clear();
        }
    }

    /// Drops the cached keys of these access key ids (deleted, or their identity was).
    pub fn forget_access_keys(&self, access_key_ids: &[String]) {
        if let Ok(mut keys) = self.keys.lock() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            for id in access_key_ids {
                keys.remove(id);
            }
        }
    }

    fn anonymous(&self) -> Principal {
        Principal {
            account_id: self.default_account.clone(),
            arn: None,
            user_name: None,
        }
    }

    async fn signing_key(
        &self,
        auth: &sigv4::AuthorizationHeader<'_>,
    ) -> Result<Arc<CachedKey>, WireError> {
        if let Some(hit) = self
            .keys
            .lock()
            .ok()
            .and_then(|k| k.get(auth.access_key_id).cloned())
            && hit.date == auth.date
        {
            return Ok(hit);
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::Acquire);
        let Some((principal, secret)) = self.credentials.credentials(auth.access_key_id).await?
        else {
            return Err(sigv4::unrecognized_client());
        };
        let entry = Arc::new(CachedKey {
            date: auth.date.to_owned(),
            key: sigv4::signing_key(secret.expose_secret(), auth.date, auth.region, auth.service),
            principal,
        });
        if let Ok(mut keys) = self.keys.lock()
            && self.generation.load(std::sync::atomic::Ordering::Acquire) == generation
        {
            if keys.len() > 10_000 {
                keys.clear();
            }
            keys.insert(auth.access_key_id.to_owned(), entry.clone());
        }
        Ok(entry)
    }
}

/// Whether the operation's caller signs with SigV4 (`Operation::authentication`, generated
/// from codegen/operations.py: not the model's public operations, nor GetClientToken).
fn needs_signature(operation: Operation) -> bool {
    operation.authentication() == rognito_model::Authentication::SigV4
}

impl SigV4Authenticator {
    /// Everything before the signature itself, in AWS's order: the header's presence and form,
    /// the date's freshness, the credential scope, then (SigV4 mode) the access key. `None` in
    /// dev mode, where a well-formed fresh header is enough.
    async fn verify_head<'h>(
        &self,
        head: &'h RequestHead<'_>,
        required_headers: &[&str],
    ) -> Result<Option<(sigv4::AuthorizationHeader<'h>, String, Arc<CachedKey>)>, WireError> {
        let Some(header) = head.headers.get(http::header::AUTHORIZATION) else {
            return Err(sigv4::missing_token());
        };
        let header = header.to_str().map_err(|_| sigv4::malformed())?;
        let auth = sigv4::parse_authorization(header)?;
        let now = self.clock.now_secs();
        // Staleness and scope first: they need no key lookup.
        let amz_date = sigv4::check_date(head, &auth, now)?;
        sigv4::check_scope_signing(&auth, &self.region, required_headers)?;
        if self.mode == AuthMode::Dev {
            return Ok(None);
        }
        if head.headers.contains_key("x-amz-security-token") {
            // Temporary credentials are not issued by rognito, so none can be valid.
            return Err(sigv4::unrecognized_client());
        }
        let key = self.signing_key(&auth).await?;
        Ok(Some((auth, amz_date, key)))
    }
}

#[async_trait]
impl Authenticator for SigV4Authenticator {
    async fn check_head(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<(), WireError> {
        if needs_signature(operation) {
            self.verify_head(head, sigv4::API_SIGNED_HEADERS).await?;
        }
        Ok(())
    }

    async fn authenticate(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<Principal, WireError> {
        self.verify(operation, head, sigv4::API_SIGNED_HEADERS)
            .await
    }

    async fn authenticate_path(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
    ) -> Result<Principal, WireError> {
        self.verify(operation, head, sigv4::PATH_SIGNED_HEADERS)
            .await
    }
}

impl SigV4Authenticator {
    /// The whole verification, with `required_headers` the headers the signature must cover.
    async fn verify(
        &self,
        operation: Operation,
        head: &RequestHead<'_>,
        required_headers: &[&str],
    ) -> Result<Principal, WireError> {
        if !needs_signature(operation) {
            return Ok(self.anonymous());
        }
        let Some((auth, amz_date, key)) = self.verify_head(head, required_headers).await? else {
            return Ok(self.anonymous());
        };
        let canonical = sigv4::canonical_request(head, &auth)?;
        let to_sign = sigv4::string_to_sign(&amz_date, &auth, &canonical);
        if !sigv4::signature_matches(&key.key, &to_sign, auth.signature) {
            return Err(sigv4::signature_mismatch());
        }
        Ok(key.principal.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looked_up_credentials_redact_their_secret() {
        let found = (
            Principal {
                account_id: "000000000000".into(),
                arn: None,
                user_name: Some("alice".into()),
            },
            SecretString::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        );
        let shown = format!("{found:?}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    }
}

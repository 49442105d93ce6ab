//! A pool's signing keys: made when the pool is created (sealed under the master key, stored
//! with the pool in one transaction), loaded and parsed once into a cache, published as JWKS.

use rognito_model::CognitoError;
use rognito_store::SigningKeyRecord;

use crate::Cognito;
use crate::keys::{Jwk, KeyPurpose, SigningKey};

/// The keys of one pool, ready to sign.
#[derive(Debug)]
pub struct PoolKeys {
    pub access: SigningKey,
    pub id: SigningKey,
}

impl PoolKeys {
    /// As `/.well-known/jwks.json` lists them: the ID-token key, then the access-token key.
    pub fn jwks(&self) -> Vec<Jwk> {
        vec![self.id.jwk().clone(), self.access.jwk().clone()]
    }
}

pub(crate) fn key_context(kid: &str) -> String {
    format!("signing-key:{kid}")
}

impl Cognito {
    /// Two fresh keys for a new pool, sealed for storage. RSA key generation takes tens of
    /// milliseconds, so it runs off the async workers.
    pub(crate) async fn new_pool_keys(
        &self,
        user_pool_id: &str,
        now_ms: i64,
    ) -> Result<Vec<SigningKeyRecord>, CognitoError> {
        let generated = tokio::task::spawn_blocking(|| {
            Ok::<_, crate::keys::KeyError>([SigningKey::generate()?, SigningKey::generate()?])
        })
        .await
        .map_err(|_| CognitoError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot generate signing keys");
            CognitoError::internal()
        })?;
        let records = [KeyPurpose::Access, KeyPurpose::Id]
            .into_iter()
            .zip(generated)
            .map(|(purpose, (key, pkcs8))| SigningKeyRecord {
                kid: key.kid().to_owned(),
                user_pool_id: user_pool_id.to_owned(),
                purpose: purpose.as_str().to_owned(),
                private_key: self.master.seal(&key_context(key.kid()), &pkcs8),
                public_jwk: serde_json::to_string(key.jwk()).unwrap_or_default(),
                created_ms: now_ms,
            })
            .collect();
        Ok(records)
    }

    /// The pool's keys, from the cache or decrypted from the store. `None` for an unknown pool.
    pub(crate) async fn pool_keys(
        &self,
        user_pool_id: &str,
    ) -> Result<Option<std::sync::Arc<PoolKeys>>, CognitoError> {
        self.caches
            .pool_keys
            .get_or_load(user_pool_id, || async {
                let mut records = self
                    .store
                    .signing_keys(user_pool_id)
                    .await
                    .map_err(crate::internal)?;
                if records.is_empty() {
                    // A pool loaded without keys (bulk seeding) gets them on first need; if two
                    // requests race here, both re-read and settle on the same newest pair.
                    if self
                        .store
                        .user_pool(user_pool_id)
                        .await
                        .map_err(crate::internal)?
                        .is_none()
                    {
                        return Ok(None);
                    }
                    let fresh = self
                        .new_pool_keys(user_pool_id, crate::clock::now_ms())
                        .await?;
                    match self.store.add_signing_keys(&fresh).await {
                        Ok(()) => {}
                        Err(rognito_store::StoreError::NotFound) => return Ok(None),
                        Err(e) => return Err(crate::internal(e)),
                    }
                    records = self
                        .store
                        .signing_keys(user_pool_id)
                        .await
                        .map_err(crate::internal)?;
                }
                let newest = |purpose: KeyPurpose| {
                    records.iter().rev().find(|r| r.purpose == purpose.as_str())
                };
                let (Some(access), Some(id)) = (newest(KeyPurpose::Access), newest(KeyPurpose::Id))
                else {
                    return Ok(None);
                };
                Ok(Some(PoolKeys {
                    access: self.open_key(access)?,
                    id: self.open_key(id)?,
                }))
            })
            .await
    }

    fn open_key(&self, record: &SigningKeyRecord) -> Result<SigningKey, CognitoError> {
        let pkcs8 = self
            .master
            .open(&key_context(&record.kid), &record.private_key)
            .map_err(|e| {
                tracing::error!(kid = %record.kid, error = %e, "cannot decrypt a signing key: is the master key the one it was sealed with?");
                CognitoError::internal()
            })?;
        SigningKey::from_pkcs8(&pkcs8).map_err(|e| {
            tracing::error!(kid = %record.kid, error = %e, "stored signing key is unusable");
            CognitoError::internal()
        })
    }

    /// The JWKS of a pool, or `None` when there is no such pool.
    pub async fn jwks(&self, user_pool_id: &str) -> Result<Option<Vec<Jwk>>, CognitoError> {
        Ok(self.pool_keys(user_pool_id).await?.map(|k| k.jwks()))
    }
}

//! The master key's check value: a known text sealed under the master key and stored in the
//! database, so a server or CLI given another key (a lost key file replaced by a fresh one, a
//! different `ROGNITO_MASTER_KEY`) refuses to start instead of starting, answering `/health`, and
//! then failing every request that needs a secret. A database written before the check value
//! existed is checked against any one of its sealed values, and the check value is added then.

use rognito_store::{SealedSample, Store, StoreError};

use crate::MasterKey;

const SETTING: &str = "master-key-check";
const CONTEXT: &str = "master-key-check:v1";
const PLAINTEXT: &[u8] = b"rognito master key check v1";

/// What the database says about master keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Nothing is sealed yet and no key was recorded: any key (a new one) may be used.
    Fresh,
    /// Secrets are sealed under some key: only that key may be used.
    Sealed,
}

/// Why a master key was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error("the master key cannot open the secrets this database holds")]
    WrongKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether the database already depends on a particular master key.
pub async fn key_state(store: &dyn Store) -> Result<KeyState, StoreError> {
    if store.setting(SETTING).await?.is_some() || store.sealed_sample().await?.is_some() {
        Ok(KeyState::Sealed)
    } else {
        Ok(KeyState::Fresh)
    }
}

/// Checks `master` against the stored check value (or, when there is none yet, against one
/// sealed value of the database) and records the check value if it was missing.
///
/// Errors: [`KeyCheckError::WrongKey`] when `master` is not the key the database's secrets
/// were sealed with; nothing is written then.
pub async fn verify_or_record(store: &dyn Store, master: &MasterKey) -> Result<(), KeyCheckError> {
    if let Some(check) = store.setting(SETTING).await? {
        return match master.open(CONTEXT, &check) {
            Ok(text) if text == PLAINTEXT => Ok(()),
            _ => Err(KeyCheckError::WrongKey),
        };
    }
    if let Some(sample) = store.sealed_sample().await? {
        let (context, sealed) = match &sample {
            SealedSample::AccessKey {
                access_key_id,
                sealed,
            } => (crate::crypto::access_key_context(access_key_id), sealed),
            SealedSample::ClientSecret { client_id, sealed } => {
                (crate::clients::secret_context(client_id), sealed)
            }
            SealedSample::SigningKey { kid, sealed } => (crate::signing::key_context(kid), sealed),
        };
        if master.open(&context, sealed).is_err() {
            return Err(KeyCheckError::WrongKey);
        }
    }
    let check = master.seal(CONTEXT, PLAINTEXT);
    let stored = store.server_setting(SETTING, &|| check.clone()).await?;
    // Another process may have recorded its check value first: it must be for this key too.
    match master.open(CONTEXT, &stored) {
        Ok(text) if text == PLAINTEXT => Ok(()),
        _ => Err(KeyCheckError::WrongKey),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rognito_store::{Durability, SqliteStore};

    use super::*;

    #[tokio::test]
    async fn the_first_key_is_recorded_and_only_it_is_accepted_after() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(dir.path(), Durability::Os)
                .await
                .expect("open"),
        );
        let first = MasterKey::new(&[1; 32]).expect("key");
        let other = MasterKey::new(&[2; 32]).expect("key");
        assert_eq!(
            key_state(store.as_ref()).await.expect("state"),
            KeyState::Fresh
        );
        verify_or_record(store.as_ref(), &first)
            .await
            .expect("recorded");
        assert_eq!(
            key_state(store.as_ref()).await.expect("state"),
            KeyState::Sealed
        );
        verify_or_record(store.as_ref(), &first)
            .await
            .expect("same key");
        assert!(matches!(
            verify_or_record(store.as_ref(), &other).await,
            Err(KeyCheckError::WrongKey)
        ));
    }
}

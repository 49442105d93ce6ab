//! Identities, their access keys and policies.

use super::Cached as _;
use crate::columns::{ACCESS_KEY_COLUMNS as KEY_COLUMNS, FromCells};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, exists, id_at, is_unique_violation};
use crate::{AccessKeyRecord, Change, IdentityRecord, IdentityStore, PolicyRecord, StoreError};

fn key_record(row: &Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    AccessKeyRecord::from_cells(row)
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_identity(
        &self,
        identity: &IdentityRecord,
        key: &AccessKeyRecord,
    ) -> Result<(), StoreError> {
        let (identity, key) = (identity.clone(), key.clone());
        self.write(move |c| {
            let inserted = c.run(
                "INSERT INTO iam_users (account_id, user_name, created_ms) VALUES (?1, ?2, ?3)",
                params![
                    identity.account_id.as_str(),
                    identity.user_name,
                    identity.created_ms
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            match c.run(
                &format!("INSERT INTO access_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![
                    key.access_key_id,
                    key.account_id.as_str(),
                    key.user_name,
                    key.secret,
                    key.created_ms
                ],
            ) {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            c.changed(Change::Identity {
                account_id: identity.account_id,
                user_name: identity.user_name,
                access_keys: vec![key.access_key_id],
            });
            Ok(())
        })
        .await
    }

    async fn identities(
        &self,
        account_id: Option<&str>,
    ) -> Result<Vec<IdentityRecord>, StoreError> {
        let account = account_id.map(str::to_owned);
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT account_id, user_name, created_ms FROM iam_users \
                 WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, user_name",
            )?;
            let rows = statement
                .query_map([account], |r| {
                    Ok(IdentityRecord {
                        account_id: id_at(r, 0)?,
                        user_name: r.get(1)?,
                        created_ms: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn delete_identity(&self, account_id: &str, user_name: &str) -> Result<bool, StoreError> {
        let (account, user) = (account_id.to_owned(), user_name.to_owned());
        self.write(move |c| {
            // The keys go with the identity (ON DELETE CASCADE): name them for the caches.
            let access_keys = c
                .prepare_cached(
                    "SELECT access_key_id FROM access_keys WHERE account_id = ?1 AND user_name = ?2",
                )?
                .query_map(params![account, user], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let deleted = c.run(
                "DELETE FROM iam_users WHERE account_id = ?1 AND user_name = ?2",
                params![account, user],
            )? > 0;
            if deleted {
                c.changed(Change::Identity {
                    account_id: account.into(),
                    user_name: user,
                    access_keys,
                });
            }
            Ok(deleted)
        })
        .await
    }

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        let id = access_key_id.to_owned();
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE access_key_id = ?1"),
                [&id],
                key_record,
            )
            .optional()?)
        })
        .await
    }

    async fn access_keys_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let (account, user) = (account_id.to_owned(), user_name.to_owned());
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = ?1 AND user_name = ?2 \
                 ORDER BY created_ms"
            ))?;
            let rows = statement
                .query_map(params![account, user], key_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        let policy = policy.clone();
        self.write(move |c| {
            if !exists(
                c,
                "SELECT 1 FROM iam_users WHERE account_id = ?1 AND user_name = ?2",
                params![policy.account_id.as_str(), policy.user_name],
            )? {
                return Err(StoreError::NotFound);
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            c.run(
                "INSERT INTO user_policies (account_id, user_name, policy_name, document, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id, user_name, policy_name) \
                 DO UPDATE SET document = excluded.document",
                params![
                    policy.account_id.as_str(),
                    policy.user_name,
                    policy.policy_name,
                    policy.document,
                    now
                ],
            )?;
            c.changed(Change::Policy {
                account_id: policy.account_id,
                user_name: policy.user_name,
            });
            Ok(())
        })
        .await
    }

    async fn delete_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<bool, StoreError> {
        let (account, user, name) = (
            account_id.to_owned(),
            user_name.to_owned(),
            policy_name.to_owned(),
        );
        self.write(move |c| {
            let deleted = c.run(
                "DELETE FROM user_policies WHERE account_id = ?1 AND user_name = ?2 \
                 AND policy_name = ?3",
                params![account, user, name],
            )? > 0;
            if deleted {
                c.changed(Change::Policy {
                    account_id: account.into(),
                    user_name: user,
                });
            }
            Ok(deleted)
        })
        .await
    }

    async fn policies_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError> {
        let (account, user) = (account_id.to_owned(), user_name.to_owned());
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT account_id, user_name, policy_name, document FROM user_policies \
                 WHERE account_id = ?1 AND user_name = ?2 ORDER BY policy_name",
            )?;
            let rows = statement
                .query_map(params![account, user], |r| {
                    Ok(PolicyRecord {
                        account_id: id_at(r, 0)?,
                        user_name: r.get(1)?,
                        policy_name: r.get(2)?,
                        document: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

//! Identities, their access keys and policies.

use crate::columns::{ACCESS_KEY_COLUMNS as KEY_COLUMNS, FromCells};
use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PostgresStore, Sql as _, id_at, is_missing_parent, is_unique_violation};
use crate::{AccessKeyRecord, Change, IdentityRecord, IdentityStore, PolicyRecord, StoreError};

fn key_record(row: &Row) -> Result<AccessKeyRecord, StoreError> {
    Ok(AccessKeyRecord::from_cells(row)?)
}

#[async_trait]
impl IdentityStore for PostgresStore {
    async fn create_identity(
        &self,
        identity: &IdentityRecord,
        key: &AccessKeyRecord,
    ) -> Result<(), StoreError> {
        let (identity, key) = (identity.clone(), key.clone());
        self.write(move |c| {
            let (identity, key) = (identity.clone(), key.clone());
            async move {
                let inserted = c
                    .run(
                        "INSERT INTO iam_users (account_id, user_name, created_ms) \
                         VALUES ($1, $2, $3)",
                        &[
                            &identity.account_id.as_str(),
                            &identity.user_name,
                            &identity.created_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    other => other?,
                };
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO access_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
                        ),
                        &[
                            &key.access_key_id,
                            &key.account_id.as_str(),
                            &key.user_name,
                            &key.secret,
                            &key.created_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    other => other?,
                };
                c.changed(Change::Identity {
                    account_id: identity.account_id,
                    user_name: identity.user_name,
                    access_keys: vec![key.access_key_id],
                });
                Ok(())
            }
        })
        .await
    }

    async fn identities(
        &self,
        account_id: Option<&str>,
    ) -> Result<Vec<IdentityRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            "SELECT account_id, user_name, created_ms FROM iam_users \
             WHERE $1::text IS NULL OR account_id = $1 ORDER BY account_id, user_name",
            &[&account_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(IdentityRecord {
                account_id: id_at(r, 0)?,
                user_name: r.try_get(1)?,
                created_ms: r.try_get(2)?,
            })
        })
        .collect()
    }

    async fn delete_identity(&self, account_id: &str, user_name: &str) -> Result<bool, StoreError> {
        let (account, user) = (account_id.to_owned(), user_name.to_owned());
        self.write(move |c| {
            let (account, user) = (account.clone(), user.clone());
            async move {
                // The keys go with the identity (ON DELETE CASCADE): name them for the caches.
                let deleted = c
                    .row(
                        "DELETE FROM iam_users WHERE account_id = $1 AND user_name = $2 \
                         RETURNING (SELECT COALESCE(array_agg(access_key_id), '{}') \
                                    FROM access_keys WHERE account_id = $1 AND user_name = $2)",
                        &[&account, &user],
                    )
                    .await?;
                let Some(row) = deleted else {
                    return Ok(false);
                };
                let access_keys: Vec<String> = row.try_get(0)?;
                c.changed(Change::Identity {
                    account_id: account.into(),
                    user_name: user,
                    access_keys,
                });
                Ok(true)
            }
        })
        .await
    }

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1"),
            &[&access_key_id],
        )
        .await?
        .as_ref()
        .map(key_record)
        .transpose()
    }

    async fn access_keys_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            &format!(
                "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = $1 AND user_name = $2 \
                 ORDER BY created_ms"
            ),
            &[&account_id, &user_name],
        )
        .await?
        .iter()
        .map(key_record)
        .collect()
    }

    async fn put_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        let policy = policy.clone();
        self.write(move |c| {
            let policy = policy.clone();
            async move {
                let put = c
                    .run(
                        "INSERT INTO user_policies \
                         (account_id, user_name, policy_name, document, created_ms) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (account_id, user_name, policy_name) \
                         DO UPDATE SET document = excluded.document",
                        &[
                            &policy.account_id.as_str(),
                            &policy.user_name,
                            &policy.policy_name,
                            &policy.document,
                            &crate::now_ms(),
                        ],
                    )
                    .await;
                match put {
                    Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                    other => other?,
                };
                c.changed(Change::Policy {
                    account_id: policy.account_id,
                    user_name: policy.user_name,
                });
                Ok(())
            }
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
            let (account, user, name) = (account.clone(), user.clone(), name.clone());
            async move {
                let deleted = c
                    .run(
                        "DELETE FROM user_policies WHERE account_id = $1 AND user_name = $2 \
                         AND policy_name = $3",
                        &[&account, &user, &name],
                    )
                    .await?
                    > 0;
                if deleted {
                    c.changed(Change::Policy {
                        account_id: account.into(),
                        user_name: user,
                    });
                }
                Ok(deleted)
            }
        })
        .await
    }

    async fn policies_of(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            "SELECT account_id, user_name, policy_name, document FROM user_policies \
             WHERE account_id = $1 AND user_name = $2 ORDER BY policy_name",
            &[&account_id, &user_name],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(PolicyRecord {
                account_id: id_at(r, 0)?,
                user_name: r.try_get(1)?,
                policy_name: r.try_get(2)?,
                document: r.try_get(3)?,
            })
        })
        .collect()
    }
}

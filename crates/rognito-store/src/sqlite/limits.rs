//! Provisioned request rates.

use super::Cached as _;
use async_trait::async_trait;
use rognito_model::AccountId;
use rusqlite::params;

use super::{SqliteStore, id_at};
use crate::{Change, LimitStore, StoreError};

#[async_trait]
impl LimitStore for SqliteStore {
    async fn provisioned_limits(&self) -> Result<Vec<(AccountId, String, u32)>, StoreError> {
        self.read(|c| {
            let mut select = c.prepare_cached(
                "SELECT account_id, category, rate FROM provisioned_limits \
                 ORDER BY account_id, category",
            )?;
            let rows = select
                .query_map([], |r| {
                    Ok((
                        id_at::<AccountId>(r, 0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .map(|(account, category, rate)| {
                    (account, category, u32::try_from(rate).unwrap_or(u32::MAX))
                })
                .collect())
        })
        .await
    }

    async fn put_provisioned_limit(
        &self,
        account_id: &str,
        category: &str,
        rate: u32,
    ) -> Result<(), StoreError> {
        let (account_id, category) = (account_id.to_owned(), category.to_owned());
        self.write(move |c| {
            c.run(
                "INSERT INTO provisioned_limits (account_id, category, rate) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (account_id, category) DO UPDATE SET rate = excluded.rate",
                params![account_id, category, rate],
            )?;
            c.changed(Change::ProvisionedLimit {
                account_id: account_id.into(),
                category,
                value: rate,
            });
            Ok(())
        })
        .await
    }
}

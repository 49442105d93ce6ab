//! Provisioned request rates.

use async_trait::async_trait;
use rognito_model::AccountId;

use super::{PostgresStore, Sql as _, id_at};
use crate::{Change, LimitStore, StoreError};

#[async_trait]
impl LimitStore for PostgresStore {
    async fn provisioned_limits(&self) -> Result<Vec<(AccountId, String, u32)>, StoreError> {
        let c = self.client().await?;
        c.rows(
            "SELECT account_id, category, rate FROM provisioned_limits \
             ORDER BY account_id, category",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let rate: i64 = r.try_get(2)?;
            Ok((
                id_at(r, 0)?,
                r.try_get(1)?,
                u32::try_from(rate).unwrap_or(u32::MAX),
            ))
        })
        .collect()
    }

    async fn put_provisioned_limit(
        &self,
        account_id: &str,
        category: &str,
        rate: u32,
    ) -> Result<(), StoreError> {
        let (account_id, category) = (account_id.to_owned(), category.to_owned());
        self.write(move |c| {
            let (account_id, category) = (account_id.clone(), category.clone());
            async move {
                c.run(
                    "INSERT INTO provisioned_limits (account_id, category, rate) \
                     VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, category) DO UPDATE SET rate = excluded.rate",
                    &[&account_id, &category, &i64::from(rate)],
                )
                .await?;
                c.changed(Change::ProvisionedLimit {
                    account_id: account_id.into(),
                    category,
                    value: rate,
                });
                Ok(())
            }
        })
        .await
    }
}

//! User pool domains.

use crate::columns::{DOMAIN_COLUMNS, FromCells};
use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PostgresStore, Sql as _, is_missing_parent, is_unique_violation};
use crate::{Change, DomainRecord, DomainStore, StoreError};

fn domain_record(row: &Row) -> Result<DomainRecord, StoreError> {
    Ok(DomainRecord::from_cells(row)?)
}

#[async_trait]
impl DomainStore for PostgresStore {
    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError> {
        let domain = domain.clone();
        self.write(move |c| {
            let domain = domain.clone();
            async move {
                let pool = domain.user_pool_id.as_str();
                // Locks the pool's row against a delete until this commits.
                if !c
                    .exists(
                        "SELECT 1 FROM user_pools WHERE id = $1 FOR KEY SHARE",
                        &[&pool],
                    )
                    .await?
                {
                    return Err(StoreError::NotFound);
                }
                if c.exists(
                    "SELECT 1 FROM user_pool_domains WHERE domain = $1",
                    &[&domain.domain],
                )
                .await?
                {
                    return Err(StoreError::AlreadyExists);
                }
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_pool_domains ({DOMAIN_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5)"
                        ),
                        &[
                            &domain.domain,
                            &pool,
                            &domain.doc,
                            &domain.created_ms,
                            &domain.modified_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => {
                        // Either key: another node took the name just now, or the pool has a
                        // domain (the one-per-pool rule).
                        let which = driver_constraint(&e);
                        return Err(if which.as_deref() == Some("user_pool_domains_pkey") {
                            StoreError::AlreadyExists
                        } else {
                            StoreError::Conflict
                        });
                    }
                    Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                    other => other?,
                };
                c.changed(Change::Domain {
                    user_pool_id: domain.user_pool_id,
                    domain: domain.domain,
                });
                Ok(())
            }
        })
        .await
    }

    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE domain = $1"),
            &[&domain],
        )
        .await?
        .as_ref()
        .map(domain_record)
        .transpose()
    }

    async fn domain_of_pool(&self, user_pool_id: &str) -> Result<Option<DomainRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE user_pool_id = $1"),
            &[&user_pool_id],
        )
        .await?
        .as_ref()
        .map(domain_record)
        .transpose()
    }

    async fn replace_domain(
        &self,
        domain: &DomainRecord,
    ) -> Result<Option<DomainRecord>, StoreError> {
        let domain = domain.clone();
        self.write(move |c| {
            let domain = domain.clone();
            async move {
                let replaced = c
                    .row(
                        &format!(
                            "UPDATE user_pool_domains SET doc = $3, modified_ms = $4 \
                             WHERE domain = $1 AND user_pool_id = $2 RETURNING {DOMAIN_COLUMNS}"
                        ),
                        &[
                            &domain.domain,
                            &domain.user_pool_id.as_str(),
                            &domain.doc,
                            &domain.modified_ms,
                        ],
                    )
                    .await?;
                let Some(replaced) = replaced else {
                    return Ok(None);
                };
                c.changed(Change::Domain {
                    user_pool_id: domain.user_pool_id,
                    domain: domain.domain,
                });
                Ok(Some(domain_record(&replaced)?))
            }
        })
        .await
    }

    async fn delete_domain(&self, user_pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        let (pool, domain) = (user_pool_id.to_owned(), domain.to_owned());
        self.write(move |c| {
            let (pool, domain) = (pool.clone(), domain.clone());
            async move {
                let deleted = c
                    .run(
                        "DELETE FROM user_pool_domains WHERE domain = $1 AND user_pool_id = $2",
                        &[&domain, &pool],
                    )
                    .await?
                    > 0;
                if deleted {
                    c.changed(Change::Domain {
                        user_pool_id: pool.into(),
                        domain,
                    });
                }
                Ok(deleted)
            }
        })
        .await
    }
}

/// The name of the constraint a driver error names, if any.
fn driver_constraint(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Backend(inner) => inner
            .downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::as_db_error)
            .and_then(|db| db.constraint().map(str::to_owned)),
        _ => None,
    }
}

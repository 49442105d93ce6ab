//! User pool domains.

use super::Cached as _;
use crate::columns::{DOMAIN_COLUMNS, FromCells};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, exists, is_unique_violation};
use crate::{Change, DomainRecord, DomainStore, StoreError};

fn domain_record(row: &Row<'_>) -> rusqlite::Result<DomainRecord> {
    DomainRecord::from_cells(row)
}

#[async_trait]
impl DomainStore for SqliteStore {
    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError> {
        let domain = domain.clone();
        self.write(move |c| {
            if !exists(
                c,
                "SELECT 1 FROM user_pools WHERE id = ?1",
                [domain.user_pool_id.as_str()],
            )? {
                return Err(StoreError::NotFound);
            }
            if exists(
                c,
                "SELECT 1 FROM user_pool_domains WHERE domain = ?1",
                [&domain.domain],
            )? {
                return Err(StoreError::AlreadyExists);
            }
            let inserted = c.run(
                &format!(
                    "INSERT INTO user_pool_domains ({DOMAIN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
                ),
                params![
                    domain.domain,
                    domain.user_pool_id.as_str(),
                    domain.doc,
                    domain.created_ms,
                    domain.modified_ms
                ],
            );
            match inserted {
                // The domain was checked free above, so this is the one-per-pool rule.
                Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict),
                other => other?,
            };
            c.changed(Change::Domain {
                user_pool_id: domain.user_pool_id,
                domain: domain.domain,
            });
            Ok(())
        })
        .await
    }

    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let domain = domain.to_owned();
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE domain = ?1"),
                [&domain],
                domain_record,
            )
            .optional()?)
        })
        .await
    }

    async fn domain_of_pool(&self, user_pool_id: &str) -> Result<Option<DomainRecord>, StoreError> {
        let pool = user_pool_id.to_owned();
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE user_pool_id = ?1"),
                [&pool],
                domain_record,
            )
            .optional()?)
        })
        .await
    }

    async fn replace_domain(
        &self,
        domain: &DomainRecord,
    ) -> Result<Option<DomainRecord>, StoreError> {
        let domain = domain.clone();
        self.write(move |c| {
            let replaced = c
                .row(
                    &format!(
                        "UPDATE user_pool_domains SET doc = ?3, modified_ms = ?4 \
                     WHERE domain = ?1 AND user_pool_id = ?2 RETURNING {DOMAIN_COLUMNS}"
                    ),
                    params![
                        domain.domain,
                        domain.user_pool_id.as_str(),
                        domain.doc,
                        domain.modified_ms
                    ],
                    domain_record,
                )
                .optional()?;
            if replaced.is_some() {
                c.changed(Change::Domain {
                    user_pool_id: domain.user_pool_id,
                    domain: domain.domain,
                });
            }
            Ok(replaced)
        })
        .await
    }

    async fn delete_domain(&self, user_pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        let (pool, domain) = (user_pool_id.to_owned(), domain.to_owned());
        self.write(move |c| {
            let deleted = c.run(
                "DELETE FROM user_pool_domains WHERE domain = ?1 AND user_pool_id = ?2",
                params![domain, pool],
            )? > 0;
            if deleted {
                c.changed(Change::Domain {
                    user_pool_id: pool.into(),
                    domain,
                });
            }
            Ok(deleted)
        })
        .await
    }
}

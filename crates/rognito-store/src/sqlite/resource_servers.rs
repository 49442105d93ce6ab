//! Resource servers.

use super::Cached as _;
use crate::columns::{FromCells, SERVER_COLUMN_COUNT, SERVER_COLUMNS, SERVER_IN_POOL};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, exists, is_unique_violation, quota};
use crate::{AccountId, Change, Page, ResourceServerRecord, ResourceServerStore, StoreError};

fn server_record(row: &Row<'_>) -> rusqlite::Result<ResourceServerRecord> {
    ResourceServerRecord::from_cells(row)
}

#[async_trait]
impl ResourceServerStore for SqliteStore {
    async fn create_resource_server(
        &self,
        server: &ResourceServerRecord,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        let server = server.clone();
        self.write(move |c| {
            let counted = c.run(
                "UPDATE user_pools SET resource_server_count = resource_server_count + 1 \
                 WHERE id = ?1 AND resource_server_count < ?2",
                params![server.user_pool_id.as_str(), quota(max_per_pool)],
            )?;
            if counted == 0 {
                // Tell the three reasons apart in the order Cognito reports them.
                if !exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [server.user_pool_id.as_str()])? {
                    return Err(StoreError::NotFound);
                }
                let taken = exists(
                    c,
                    "SELECT 1 FROM resource_servers WHERE user_pool_id = ?1 AND identifier = ?2",
                    params![server.user_pool_id.as_str(), server.identifier],
                )?;
                return Err(if taken {
                    StoreError::AlreadyExists
                } else {
                    StoreError::LimitExceeded
                });
            }
            let inserted = c.run(
                &format!(
                    "INSERT INTO resource_servers ({SERVER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ),
                params![
                    server.user_pool_id.as_str(),
                    server.identifier,
                    server.name,
                    server.scopes,
                    server.created_ms,
                    server.modified_ms
                ],
            );
            match inserted {
                // The savepoint rolls the counter back with it.
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            c.changed(Change::ResourceServer {
                user_pool_id: server.user_pool_id,
                identifier: server.identifier,
            });
            Ok(())
        })
        .await
    }

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        let (pool, identifier) = (user_pool_id.to_owned(), identifier.to_owned());
        self.read(move |c| {
            Ok(c.row(
                &format!(
                    "SELECT {SERVER_COLUMNS} FROM resource_servers \
                     WHERE user_pool_id = ?1 AND identifier = ?2"
                ),
                params![pool, identifier],
                server_record,
            )
            .optional()?)
        })
        .await
    }

    async fn resource_server_in_pool(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<(AccountId, Option<ResourceServerRecord>)>, StoreError> {
        let (pool, identifier) = (user_pool_id.to_owned(), identifier.to_owned());
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {SERVER_IN_POOL}"),
                params![pool, identifier],
                |r| {
                    let account: String = r.get(SERVER_COLUMN_COUNT)?;
                    let server = match r.get::<_, Option<String>>(1)? {
                        Some(_) => Some(server_record(r)?),
                        None => None,
                    };
                    Ok((account.into(), server))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn list_resource_servers(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError> {
        let pool = user_pool_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {SERVER_COLUMNS} FROM resource_servers \
                 WHERE user_pool_id = ?1 AND identifier > ?2 ORDER BY identifier LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![pool, after, i64::from(limit) + 1], server_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn replace_resource_server(
        &self,
        server: &ResourceServerRecord,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        let server = server.clone();
        // One statement, last writer wins: UpdateResourceServer has no version and its model
        // lists no ConcurrentModificationException. Zero rows means the server is gone, so an
        // update racing a delete cannot resurrect it.
        self.write(move |c| {
            let replaced = c
                .row(
                    &format!(
                        "UPDATE resource_servers SET name = ?3, scopes = ?4, modified_ms = ?5 \
                     WHERE user_pool_id = ?1 AND identifier = ?2 RETURNING {SERVER_COLUMNS}"
                    ),
                    params![
                        server.user_pool_id.as_str(),
                        server.identifier,
                        server.name,
                        server.scopes,
                        server.modified_ms
                    ],
                    server_record,
                )
                .optional()?;
            if replaced.is_some() {
                c.changed(Change::ResourceServer {
                    user_pool_id: server.user_pool_id,
                    identifier: server.identifier,
                });
            }
            Ok(replaced)
        })
        .await
    }

    async fn delete_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<bool, StoreError> {
        let (pool, identifier) = (user_pool_id.to_owned(), identifier.to_owned());
        self.write(move |c| {
            let deleted = c.run(
                "DELETE FROM resource_servers WHERE user_pool_id = ?1 AND identifier = ?2",
                params![pool, identifier],
            )?;
            if deleted == 0 {
                return Ok(false);
            }
            c.run(
                "UPDATE user_pools SET resource_server_count = resource_server_count - 1 \
                 WHERE id = ?1",
                [&pool],
            )?;
            c.changed(Change::ResourceServer {
                user_pool_id: pool.into(),
                identifier,
            });
            Ok(true)
        })
        .await
    }
}

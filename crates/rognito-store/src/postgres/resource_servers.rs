//! Resource servers.

use crate::columns::{FromCells, SERVER_COLUMN_COUNT, SERVER_COLUMNS, SERVER_IN_POOL};
use async_trait::async_trait;
use tokio_postgres::Row;

use super::group::Outcome;
use super::{OneStatement, PostgresStore, Sql as _, is_unique_violation, quota};
use crate::{AccountId, Change, Page, ResourceServerRecord, ResourceServerStore, StoreError};

fn server_record(row: &Row) -> Result<ResourceServerRecord, StoreError> {
    Ok(ResourceServerRecord::from_cells(row)?)
}

#[async_trait]
impl ResourceServerStore for PostgresStore {
    async fn create_resource_server(
        &self,
        server: &ResourceServerRecord,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        match self
            .creates
            .create(server.clone(), quota(max_per_pool))
            .await
        {
            Outcome::Done(made) => made,
            Outcome::Alone => self.create_alone(server, max_per_pool).await,
        }
    }

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!(
                "SELECT {SERVER_COLUMNS} FROM resource_servers \
                 WHERE user_pool_id = $1 AND identifier = $2"
            ),
            &[&user_pool_id, &identifier],
        )
        .await?
        .as_ref()
        .map(server_record)
        .transpose()
    }

    async fn resource_server_in_pool(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<(AccountId, Option<ResourceServerRecord>)>, StoreError> {
        let c = self.client().await?;
        let Some(row) = c
            .row(
                &format!("SELECT {SERVER_IN_POOL}"),
                &[&user_pool_id, &identifier],
            )
            .await?
        else {
            return Ok(None);
        };
        let account: String = row.try_get(SERVER_COLUMN_COUNT)?;
        let server = match row.try_get::<_, Option<String>>(1)? {
            Some(_) => Some(server_record(&row)?),
            None => None,
        };
        Ok(Some((account.into(), server)))
    }

    async fn list_resource_servers(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {SERVER_COLUMNS} FROM resource_servers \
                     WHERE user_pool_id = $1 AND identifier > $2 ORDER BY identifier LIMIT $3"
                ),
                &[&user_pool_id, &after.unwrap_or(""), &(i64::from(limit) + 1)],
            )
            .await?;
        let rows = rows.iter().map(server_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn replace_resource_server(
        &self,
        server: &ResourceServerRecord,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        // One statement (autocommit), last writer wins as on SQLite: the row's lock is held for
        // the statement and its commit only, which is what concurrent updates queue on.
        let rows = self
            .write_one(OneStatement::new(
                &format!(
                    "WITH done AS (UPDATE resource_servers \
                     SET name = $3, scopes = $4, modified_ms = $5 \
                     WHERE user_pool_id = $1 AND identifier = $2 RETURNING {SERVER_COLUMNS}), \
                     {{outbox}} SELECT {SERVER_COLUMNS} FROM done"
                ),
                vec![
                    Box::new(server.user_pool_id.to_string()),
                    Box::new(server.identifier.clone()),
                    Box::new(server.name.clone()),
                    Box::new(server.scopes.clone()),
                    Box::new(server.modified_ms),
                ],
                vec![Change::ResourceServer {
                    user_pool_id: server.user_pool_id.clone(),
                    identifier: server.identifier.clone(),
                }],
            ))
            .await?;
        rows.first().map(server_record).transpose()
    }

    async fn delete_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<bool, StoreError> {
        let (pool, identifier) = (user_pool_id.to_owned(), identifier.to_owned());
        self.write(move |c| {
            let (pool, identifier) = (pool.clone(), identifier.clone());
            async move {
                // The pool's row first (see `lock_pool`).
                super::lock_pool(&c, &pool).await?;
                let deleted = c
                    .run(
                        "DELETE FROM resource_servers WHERE user_pool_id = $1 AND identifier = $2",
                        &[&pool, &identifier],
                    )
                    .await?;
                if deleted == 0 {
                    return Ok(false);
                }
                c.run(
                    "UPDATE user_pools SET resource_server_count = resource_server_count - 1 \
                     WHERE id = $1",
                    &[&pool],
                )
                .await?;
                c.changed(Change::ResourceServer {
                    user_pool_id: pool.into(),
                    identifier,
                });
                Ok(true)
            }
        })
        .await
    }
}

impl PostgresStore {
    /// A create on its own, as one statement (see [`ResourceServerStore::create_resource_server`]).
    async fn create_alone(
        &self,
        server: &ResourceServerRecord,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        // One statement: the pool's counter first (its row lock makes creates in one pool
        // take turns, on every node, for the statement and its commit only), the row inserted
        // from it, the outbox row from that. A taken identifier aborts it all (the key); no
        // row back means no pool or a full quota, told apart below.
        let pool = server.user_pool_id.to_string();
        let rows = self
            .write_one(OneStatement::new(
                &format!(
                    "WITH counted AS (UPDATE user_pools \
                     SET resource_server_count = resource_server_count + 1 \
                     WHERE id = $1 AND resource_server_count < $7 RETURNING id), \
                     done AS (INSERT INTO resource_servers ({SERVER_COLUMNS}) \
                     SELECT id, $2, $3, $4, $5, $6 FROM counted RETURNING 1), \
                     {{outbox}} SELECT 1 FROM done"
                ),
                vec![
                    Box::new(pool.clone()),
                    Box::new(server.identifier.clone()),
                    Box::new(server.name.clone()),
                    Box::new(server.scopes.clone()),
                    Box::new(server.created_ms),
                    Box::new(server.modified_ms),
                    Box::new(quota(max_per_pool)),
                ],
                vec![Change::ResourceServer {
                    user_pool_id: server.user_pool_id.clone(),
                    identifier: server.identifier.clone(),
                }],
            ))
            .await;
        match rows {
            Ok(rows) if !rows.is_empty() => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(e),
            // In the order Cognito reports them: no pool, the identifier taken, the quota.
            Ok(_) => {
                let c = self.client().await?;
                let why = c
                    .row(
                        "SELECT EXISTS (SELECT 1 FROM user_pools WHERE id = $1), \
                         EXISTS (SELECT 1 FROM resource_servers \
                         WHERE user_pool_id = $1 AND identifier = $2)",
                        &[&pool, &server.identifier],
                    )
                    .await?
                    .ok_or_else(|| StoreError::Backend("no row from SELECT EXISTS".into()))?;
                let (pool_exists, taken): (bool, bool) = (why.try_get(0)?, why.try_get(1)?);
                Err(if !pool_exists {
                    StoreError::NotFound
                } else if taken {
                    StoreError::AlreadyExists
                } else {
                    StoreError::LimitExceeded
                })
            }
        }
    }
}

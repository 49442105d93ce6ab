//! Users with their keys, groups with their members, sign-in sessions and the message sink.
//!
//! Users are not cached, so these writes record no [`crate::Change`]. Every write takes the
//! pool's row first (see [`lock_pool`]): `FOR KEY SHARE` (see [`share_pool`]) for all but
//! `create_group`, which counts the pool's groups under `lock_pool`'s stronger lock. A key share
//! waits only for a pool delete (`FOR UPDATE`), so user writes never queue behind each other or
//! behind creates in the pool, and none can deadlock with a pool delete's cascade.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{
    PostgresStore, Sql as _, Tx, is_missing_parent, is_unique_violation, lock_pool, quota,
};
use crate::columns::{
    FromCells, GROUP_COLUMNS, GROUP_COLUMNS_OF_GROUPS, MESSAGE_COLUMNS, SESSION_COLUMNS,
    USER_COLUMNS, USER_COLUMNS_OF_USERS,
};
use crate::{
    GroupRecord, GroupStore, MessageRecord, Page, SessionRecord, SessionStore, StoreError,
    UserRecord, UserStore,
};

fn user_record(row: &Row) -> Result<UserRecord, StoreError> {
    Ok(UserRecord::from_cells(row)?)
}

fn group_record(row: &Row) -> Result<GroupRecord, StoreError> {
    Ok(GroupRecord::from_cells(row)?)
}

fn session_record(row: &Row) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord::from_cells(row)?)
}

fn message_record(row: &Row) -> Result<MessageRecord, StoreError> {
    Ok(MessageRecord::from_cells(row)?)
}

/// Takes the pool's row in key-share mode, the first lock of every write below (but
/// `create_group`'s): the pool cannot be deleted until this transaction ends, and a pool
/// delete holding it already makes this wait for it. False when there is no such pool.
async fn share_pool(c: &Tx, user_pool_id: &str) -> Result<bool, StoreError> {
    c.exists(
        "SELECT 1 FROM user_pools WHERE id = $1 FOR KEY SHARE",
        &[&user_pool_id],
    )
    .await
}

/// Inserts a user's keys (one statement); `AlreadyExists` when one is taken (or named twice):
/// the write's transaction then rolls back everything it did.
async fn insert_keys(
    c: &Tx,
    user_pool_id: &str,
    username: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let inserted = c
        .run(
            "INSERT INTO user_keys (user_pool_id, key, username) \
             SELECT $1, k, $2 FROM unnest($3::text[]) AS k",
            &[&user_pool_id, &username, &keys],
        )
        .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
        Err(e) if is_missing_parent(&e) => Err(StoreError::NotFound),
        other => other.map(|_| ()),
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &UserRecord, keys: &[String]) -> Result<(), StoreError> {
        let (user, keys) = (user.clone(), keys.to_vec());
        self.write(move |c| {
            let (user, keys) = (user.clone(), keys.clone());
            async move {
                let pool = user.user_pool_id.as_str();
                if !share_pool(&c, pool).await? {
                    return Err(StoreError::NotFound);
                }
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO users ({USER_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6, 0)"
                        ),
                        &[
                            &pool,
                            &user.username,
                            &user.doc,
                            &user.secrets,
                            &user.created_ms,
                            &user.modified_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                    other => other?,
                };
                insert_keys(&c, pool, &user.username, &keys).await
            }
        })
        .await
    }

    async fn user_by_key(
        &self,
        user_pool_id: &str,
        key: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!(
                "SELECT {USER_COLUMNS_OF_USERS} FROM user_keys JOIN users \
                 ON users.user_pool_id = user_keys.user_pool_id \
                 AND users.username = user_keys.username \
                 WHERE user_keys.user_pool_id = $1 AND user_keys.key = $2"
            ),
            &[&user_pool_id, &key],
        )
        .await?
        .as_ref()
        .map(user_record)
        .transpose()
    }

    async fn replace_user(
        &self,
        user: &UserRecord,
        keys: Option<&[String]>,
    ) -> Result<Option<UserRecord>, StoreError> {
        let (user, keys) = (user.clone(), keys.map(<[String]>::to_vec));
        self.write(move |c| {
            let (user, keys) = (user.clone(), keys.clone());
            async move {
                let pool = user.user_pool_id.as_str();
                if !share_pool(&c, pool).await? {
                    return Ok(None);
                }
                // Under READ COMMITTED a concurrent replacement makes this wait for it, then
                // check the version of the row it left: one of them wins, the other sees none.
                let replaced = c
                    .row(
                        &format!(
                            "UPDATE users SET doc = $3, secrets = $4, modified_ms = $5, \
                             version = version + 1 \
                             WHERE user_pool_id = $1 AND username = $2 AND version = $6 \
                             RETURNING {USER_COLUMNS}"
                        ),
                        &[
                            &pool,
                            &user.username,
                            &user.doc,
                            &user.secrets,
                            &user.modified_ms,
                            &user.version,
                        ],
                    )
                    .await?;
                let Some(replaced) = replaced else {
                    let found = c
                        .exists(
                            "SELECT 1 FROM users WHERE user_pool_id = $1 AND username = $2",
                            &[&pool, &user.username],
                        )
                        .await?;
                    return if found {
                        Err(StoreError::Conflict)
                    } else {
                        Ok(None)
                    };
                };
                if let Some(keys) = &keys {
                    c.run(
                        "DELETE FROM user_keys WHERE user_pool_id = $1 AND username = $2",
                        &[&pool, &user.username],
                    )
                    .await?;
                    insert_keys(&c, pool, &user.username, keys).await?;
                }
                Ok(Some(user_record(&replaced)?))
            }
        })
        .await
    }

    async fn delete_user(&self, user_pool_id: &str, username: &str) -> Result<bool, StoreError> {
        let (pool, username) = (user_pool_id.to_owned(), username.to_owned());
        self.write(move |c| {
            let (pool, username) = (pool.clone(), username.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Ok(false);
                }
                // Keys, memberships and sessions go with it (ON DELETE CASCADE).
                let deleted = c
                    .run(
                        "DELETE FROM users WHERE user_pool_id = $1 AND username = $2",
                        &[&pool, &username],
                    )
                    .await?;
                Ok(deleted > 0)
            }
        })
        .await
    }

    async fn list_users(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users \
                     WHERE user_pool_id = $1 AND username > $2 ORDER BY username LIMIT $3"
                ),
                &[&user_pool_id, &after.unwrap_or(""), &(i64::from(limit) + 1)],
            )
            .await?;
        let rows = rows.iter().map(user_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn user_count(&self, user_pool_id: &str) -> Result<u64, StoreError> {
        let c = self.client().await?;
        let row = c
            .row(
                "SELECT COUNT(*) FROM users WHERE user_pool_id = $1",
                &[&user_pool_id],
            )
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn add_message(&self, message: &MessageRecord, keep: u32) -> Result<(), StoreError> {
        let message = message.clone();
        self.write(move |c| {
            let message = message.clone();
            async move {
                let pool = message.user_pool_id.as_str();
                if !share_pool(&c, pool).await? {
                    return Err(StoreError::NotFound);
                }
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_messages ({MESSAGE_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5)"
                        ),
                        &[
                            &pool,
                            &message.message_id,
                            &message.username,
                            &message.doc,
                            &message.created_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                    other => other?,
                };
                c.run(
                    "DELETE FROM user_messages WHERE user_pool_id = $1 AND username = $2 \
                     AND message_id NOT IN (SELECT message_id FROM user_messages \
                     WHERE user_pool_id = $1 AND username = $2 \
                     ORDER BY created_ms DESC, message_id DESC LIMIT $3)",
                    &[&pool, &message.username, &i64::from(keep)],
                )
                .await?;
                Ok(())
            }
        })
        .await
    }

    async fn messages(
        &self,
        user_pool_id: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM user_messages \
                 WHERE user_pool_id = $1 AND ($2::text IS NULL OR username = $2) \
                 ORDER BY created_ms DESC, message_id DESC LIMIT $3"
            ),
            &[&user_pool_id, &username, &i64::from(limit)],
        )
        .await?
        .iter()
        .map(message_record)
        .collect()
    }
}

#[async_trait]
impl GroupStore for PostgresStore {
    async fn create_group(&self, group: &GroupRecord, max_per_pool: u64) -> Result<(), StoreError> {
        let group = group.clone();
        let max = quota(max_per_pool);
        self.write(move |c| {
            let group = group.clone();
            async move {
                let pool = group.user_pool_id.as_str();
                // The pool's row, locked: creates of groups in it take turns on every node, so
                // the count below cannot race another create.
                if !lock_pool(&c, pool).await? {
                    return Err(StoreError::NotFound);
                }
                if c.exists(
                    "SELECT 1 FROM user_groups WHERE user_pool_id = $1 AND group_name = $2",
                    &[&pool, &group.group_name],
                )
                .await?
                {
                    return Err(StoreError::AlreadyExists);
                }
                let count: i64 = c
                    .row(
                        "SELECT COUNT(*) FROM user_groups WHERE user_pool_id = $1",
                        &[&pool],
                    )
                    .await?
                    .ok_or_else(|| StoreError::Backend("no row from SELECT COUNT".into()))?
                    .try_get(0)?;
                if count >= max {
                    return Err(StoreError::LimitExceeded);
                }
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
                        ),
                        &[
                            &pool,
                            &group.group_name,
                            &group.doc,
                            &group.created_ms,
                            &group.modified_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                    Err(e) if is_missing_parent(&e) => Err(StoreError::NotFound),
                    other => other.map(|_| ()),
                }
            }
        })
        .await
    }

    async fn group(
        &self,
        user_pool_id: &str,
        group_name: &str,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups \
                 WHERE user_pool_id = $1 AND group_name = $2"
            ),
            &[&user_pool_id, &group_name],
        )
        .await?
        .as_ref()
        .map(group_record)
        .transpose()
    }

    async fn list_groups(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {GROUP_COLUMNS} FROM user_groups \
                     WHERE user_pool_id = $1 AND group_name > $2 ORDER BY group_name LIMIT $3"
                ),
                &[&user_pool_id, &after.unwrap_or(""), &(i64::from(limit) + 1)],
            )
            .await?;
        let rows = rows.iter().map(group_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn replace_group(&self, group: &GroupRecord) -> Result<Option<GroupRecord>, StoreError> {
        let group = group.clone();
        self.write(move |c| {
            let group = group.clone();
            async move {
                let pool = group.user_pool_id.as_str();
                if !share_pool(&c, pool).await? {
                    return Ok(None);
                }
                c.row(
                    &format!(
                        "UPDATE user_groups SET doc = $3, modified_ms = $4 \
                         WHERE user_pool_id = $1 AND group_name = $2 RETURNING {GROUP_COLUMNS}"
                    ),
                    &[&pool, &group.group_name, &group.doc, &group.modified_ms],
                )
                .await?
                .as_ref()
                .map(group_record)
                .transpose()
            }
        })
        .await
    }

    async fn delete_group(&self, user_pool_id: &str, group_name: &str) -> Result<bool, StoreError> {
        let (pool, name) = (user_pool_id.to_owned(), group_name.to_owned());
        self.write(move |c| {
            let (pool, name) = (pool.clone(), name.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Ok(false);
                }
                // Its memberships go with it (ON DELETE CASCADE).
                let deleted = c
                    .run(
                        "DELETE FROM user_groups WHERE user_pool_id = $1 AND group_name = $2",
                        &[&pool, &name],
                    )
                    .await?;
                Ok(deleted > 0)
            }
        })
        .await
    }

    async fn add_to_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        username: &str,
    ) -> Result<(), StoreError> {
        let (pool, name, username) = (
            user_pool_id.to_owned(),
            group_name.to_owned(),
            username.to_owned(),
        );
        self.write(move |c| {
            let (pool, name, username) = (pool.clone(), name.clone(), username.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Err(StoreError::NotFound);
                }
                // The foreign keys tell a group or user missing (or deleted meanwhile).
                let inserted = c
                    .run(
                        "INSERT INTO group_members (user_pool_id, group_name, username) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[&pool, &name, &username],
                    )
                    .await;
                match inserted {
                    Err(e) if is_missing_parent(&e) => Err(StoreError::NotFound),
                    other => other.map(|_| ()),
                }
            }
        })
        .await
    }

    async fn remove_from_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        username: &str,
    ) -> Result<bool, StoreError> {
        let (pool, name, username) = (
            user_pool_id.to_owned(),
            group_name.to_owned(),
            username.to_owned(),
        );
        self.write(move |c| {
            let (pool, name, username) = (pool.clone(), name.clone(), username.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Ok(false);
                }
                let deleted = c
                    .run(
                        "DELETE FROM group_members \
                         WHERE user_pool_id = $1 AND group_name = $2 AND username = $3",
                        &[&pool, &name, &username],
                    )
                    .await?;
                Ok(deleted > 0)
            }
        })
        .await
    }

    async fn groups_of_user(
        &self,
        user_pool_id: &str,
        username: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {GROUP_COLUMNS_OF_GROUPS} FROM group_members JOIN user_groups \
                     ON user_groups.user_pool_id = group_members.user_pool_id \
                     AND user_groups.group_name = group_members.group_name \
                     WHERE group_members.user_pool_id = $1 AND group_members.username = $2 \
                     AND group_members.group_name > $3 \
                     ORDER BY group_members.group_name LIMIT $4"
                ),
                &[
                    &user_pool_id,
                    &username,
                    &after.unwrap_or(""),
                    &(i64::from(limit) + 1),
                ],
            )
            .await?;
        let rows = rows.iter().map(group_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn users_in_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {USER_COLUMNS_OF_USERS} FROM group_members JOIN users \
                     ON users.user_pool_id = group_members.user_pool_id \
                     AND users.username = group_members.username \
                     WHERE group_members.user_pool_id = $1 AND group_members.group_name = $2 \
                     AND group_members.username > $3 \
                     ORDER BY group_members.username LIMIT $4"
                ),
                &[
                    &user_pool_id,
                    &group_name,
                    &after.unwrap_or(""),
                    &(i64::from(limit) + 1),
                ],
            )
            .await?;
        let rows = rows.iter().map(user_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let session = session.clone();
        self.write(move |c| {
            let s = session.clone();
            async move {
                let pool = s.user_pool_id.as_str();
                if !share_pool(&c, pool).await? {
                    return Err(StoreError::NotFound);
                }
                // The user's foreign key tells it gone (or deleted meanwhile).
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_sessions ({SESSION_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        ),
                        &[
                            &pool,
                            &s.session_id,
                            &s.username,
                            &s.client_id.as_str(),
                            &s.doc,
                            &s.created_ms,
                            &s.expires_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_missing_parent(&e) => Err(StoreError::NotFound),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                    other => other.map(|_| ()),
                }
            }
        })
        .await
    }

    async fn session(
        &self,
        user_pool_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM user_sessions \
                 WHERE user_pool_id = $1 AND session_id = $2"
            ),
            &[&user_pool_id, &session_id],
        )
        .await?
        .as_ref()
        .map(session_record)
        .transpose()
    }

    async fn replace_session(
        &self,
        session: &SessionRecord,
        expected_doc: &str,
    ) -> Result<bool, StoreError> {
        let (s, expected) = (session.clone(), expected_doc.to_owned());
        self.write(move |c| {
            let (s, expected) = (s.clone(), expected.clone());
            async move {
                if !share_pool(&c, s.user_pool_id.as_str()).await? {
                    return Ok(false);
                }
                let replaced = c
                    .run(
                        "UPDATE user_sessions SET doc = $3, expires_ms = $4 \
                         WHERE user_pool_id = $1 AND session_id = $2 AND doc = $5",
                        &[
                            &s.user_pool_id.as_str(),
                            &s.session_id,
                            &s.doc,
                            &s.expires_ms,
                            &expected,
                        ],
                    )
                    .await?;
                Ok(replaced > 0)
            }
        })
        .await
    }

    async fn delete_session(
        &self,
        user_pool_id: &str,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        let (pool, id) = (user_pool_id.to_owned(), session_id.to_owned());
        self.write(move |c| {
            let (pool, id) = (pool.clone(), id.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Ok(false);
                }
                let deleted = c
                    .run(
                        "DELETE FROM user_sessions WHERE user_pool_id = $1 AND session_id = $2",
                        &[&pool, &id],
                    )
                    .await?;
                Ok(deleted > 0)
            }
        })
        .await
    }

    async fn delete_sessions_of(
        &self,
        user_pool_id: &str,
        username: &str,
    ) -> Result<u64, StoreError> {
        let (pool, username) = (user_pool_id.to_owned(), username.to_owned());
        self.write(move |c| {
            let (pool, username) = (pool.clone(), username.clone());
            async move {
                if !share_pool(&c, &pool).await? {
                    return Ok(0);
                }
                c.run(
                    "DELETE FROM user_sessions WHERE user_pool_id = $1 AND username = $2",
                    &[&pool, &username],
                )
                .await
            }
        })
        .await
    }
}

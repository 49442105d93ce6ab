//! Users with their keys, groups with their members, sign-in sessions and the message sink.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::Cached as _;
use super::{SqliteStore, exists, is_unique_violation, quota};
use crate::columns::{
    FromCells, GROUP_COLUMNS, GROUP_COLUMNS_OF_GROUPS, MESSAGE_COLUMNS, SESSION_COLUMNS,
    USER_COLUMNS, USER_COLUMNS_OF_USERS,
};
use crate::{
    GroupRecord, GroupStore, MessageRecord, Page, SessionRecord, SessionStore, StoreError,
    UserRecord, UserStore,
};

fn user_record(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    UserRecord::from_cells(row)
}

fn group_record(row: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    GroupRecord::from_cells(row)
}

/// Inserts a user's keys; `AlreadyExists` when one is taken (the write's savepoint then undoes
/// everything it did).
fn insert_keys(
    c: &rusqlite::Connection,
    pool: &str,
    username: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    for key in keys {
        match c.run(
            "INSERT INTO user_keys (user_pool_id, key, username) VALUES (?1, ?2, ?3)",
            params![pool, key, username],
        ) {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
            other => other?,
        };
    }
    Ok(())
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &UserRecord, keys: &[String]) -> Result<(), StoreError> {
        let (user, keys) = (user.clone(), keys.to_vec());
        self.write(move |c| {
            let pool = user.user_pool_id.as_str();
            if !exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [pool])? {
                return Err(StoreError::NotFound);
            }
            let inserted = c.run(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"),
                params![
                    pool,
                    user.username,
                    user.doc,
                    user.secrets,
                    user.created_ms,
                    user.modified_ms
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            insert_keys(c, pool, &user.username, &keys)
        })
        .await
    }

    async fn user_by_key(
        &self,
        user_pool_id: &str,
        key: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let (pool, key) = (user_pool_id.to_owned(), key.to_owned());
        self.read(move |c| {
            Ok(c.row(
                &format!(
                    "SELECT {USER_COLUMNS_OF_USERS} FROM user_keys JOIN users \
                     ON users.user_pool_id = user_keys.user_pool_id \
                     AND users.username = user_keys.username \
                     WHERE user_keys.user_pool_id = ?1 AND user_keys.key = ?2"
                ),
                params![pool, key],
                user_record,
            )
            .optional()?)
        })
        .await
    }

    async fn replace_user(
        &self,
        user: &UserRecord,
        keys: Option<&[String]>,
    ) -> Result<Option<UserRecord>, StoreError> {
        let (user, keys) = (user.clone(), keys.map(<[String]>::to_vec));
        self.write(move |c| {
            let pool = user.user_pool_id.as_str();
            let replaced = c
                .row(
                    &format!(
                        "UPDATE users SET doc = ?3, secrets = ?4, modified_ms = ?5, \
                         version = version + 1 \
                         WHERE user_pool_id = ?1 AND username = ?2 AND version = ?6 \
                         RETURNING {USER_COLUMNS}"
                    ),
                    params![
                        pool,
                        user.username,
                        user.doc,
                        user.secrets,
                        user.modified_ms,
                        user.version
                    ],
                    user_record,
                )
                .optional()?;
            let Some(replaced) = replaced else {
                let found = exists(
                    c,
                    "SELECT 1 FROM users WHERE user_pool_id = ?1 AND username = ?2",
                    params![pool, user.username],
                )?;
                return if found {
                    Err(StoreError::Conflict)
                } else {
                    Ok(None)
                };
            };
            if let Some(keys) = keys {
                c.run(
                    "DELETE FROM user_keys WHERE user_pool_id = ?1 AND username = ?2",
                    params![pool, user.username],
                )?;
                insert_keys(c, pool, &user.username, &keys)?;
            }
            Ok(Some(replaced))
        })
        .await
    }

    async fn delete_user(&self, user_pool_id: &str, username: &str) -> Result<bool, StoreError> {
        let (pool, username) = (user_pool_id.to_owned(), username.to_owned());
        self.write(move |c| {
            // Keys, memberships and sessions go with it (foreign keys, ON DELETE CASCADE).
            let deleted = c.run(
                "DELETE FROM users WHERE user_pool_id = ?1 AND username = ?2",
                params![pool, username],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn list_users(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError> {
        let pool = user_pool_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users \
                 WHERE user_pool_id = ?1 AND username > ?2 ORDER BY username LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![pool, after, i64::from(limit) + 1], user_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn user_count(&self, user_pool_id: &str) -> Result<u64, StoreError> {
        let pool = user_pool_id.to_owned();
        self.read(move |c| {
            let n: i64 = c.row(
                "SELECT COUNT(*) FROM users WHERE user_pool_id = ?1",
                [pool],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn add_message(&self, message: &MessageRecord, keep: u32) -> Result<(), StoreError> {
        let message = message.clone();
        self.write(move |c| {
            let pool = message.user_pool_id.as_str();
            if !exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [pool])? {
                return Err(StoreError::NotFound);
            }
            c.run(
                &format!(
                    "INSERT INTO user_messages ({MESSAGE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
                ),
                params![
                    pool,
                    message.message_id,
                    message.username,
                    message.doc,
                    message.created_ms
                ],
            )?;
            c.run(
                "DELETE FROM user_messages WHERE user_pool_id = ?1 AND username = ?2 \
                 AND message_id NOT IN (SELECT message_id FROM user_messages \
                 WHERE user_pool_id = ?1 AND username = ?2 \
                 ORDER BY created_ms DESC, message_id DESC LIMIT ?3)",
                params![pool, message.username, i64::from(keep)],
            )?;
            Ok(())
        })
        .await
    }

    async fn messages(
        &self,
        user_pool_id: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let (pool, username) = (user_pool_id.to_owned(), username.map(str::to_owned));
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM user_messages \
                 WHERE user_pool_id = ?1 AND (?2 IS NULL OR username = ?2) \
                 ORDER BY created_ms DESC, message_id DESC LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![pool, username, i64::from(limit)], |r| {
                    MessageRecord::from_cells(r)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, group: &GroupRecord, max_per_pool: u64) -> Result<(), StoreError> {
        let group = group.clone();
        self.write(move |c| {
            let pool = group.user_pool_id.as_str();
            if !exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [pool])? {
                return Err(StoreError::NotFound);
            }
            if exists(
                c,
                "SELECT 1 FROM user_groups WHERE user_pool_id = ?1 AND group_name = ?2",
                params![pool, group.group_name],
            )? {
                return Err(StoreError::AlreadyExists);
            }
            // One writer: counting under it cannot race another create.
            let count: i64 = c.row(
                "SELECT COUNT(*) FROM user_groups WHERE user_pool_id = ?1",
                [pool],
                |r| r.get(0),
            )?;
            if count >= quota(max_per_pool) {
                return Err(StoreError::LimitExceeded);
            }
            c.run(
                &format!("INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![
                    pool,
                    group.group_name,
                    group.doc,
                    group.created_ms,
                    group.modified_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn group(
        &self,
        user_pool_id: &str,
        group_name: &str,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let (pool, name) = (user_pool_id.to_owned(), group_name.to_owned());
        self.read(move |c| {
            Ok(c.row(
                &format!(
                    "SELECT {GROUP_COLUMNS} FROM user_groups \
                     WHERE user_pool_id = ?1 AND group_name = ?2"
                ),
                params![pool, name],
                group_record,
            )
            .optional()?)
        })
        .await
    }

    async fn list_groups(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let pool = user_pool_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups \
                 WHERE user_pool_id = ?1 AND group_name > ?2 ORDER BY group_name LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![pool, after, i64::from(limit) + 1], group_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn replace_group(&self, group: &GroupRecord) -> Result<Option<GroupRecord>, StoreError> {
        let group = group.clone();
        self.write(move |c| {
            Ok(c.row(
                &format!(
                    "UPDATE user_groups SET doc = ?3, modified_ms = ?4 \
                     WHERE user_pool_id = ?1 AND group_name = ?2 RETURNING {GROUP_COLUMNS}"
                ),
                params![
                    group.user_pool_id.as_str(),
                    group.group_name,
                    group.doc,
                    group.modified_ms
                ],
                group_record,
            )
            .optional()?)
        })
        .await
    }

    async fn delete_group(&self, user_pool_id: &str, group_name: &str) -> Result<bool, StoreError> {
        let (pool, name) = (user_pool_id.to_owned(), group_name.to_owned());
        self.write(move |c| {
            Ok(c.run(
                "DELETE FROM user_groups WHERE user_pool_id = ?1 AND group_name = ?2",
                params![pool, name],
            )? > 0)
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
            let inserted = c.run(
                "INSERT INTO group_members (user_pool_id, group_name, username) \
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM user_groups \
                 WHERE user_pool_id = ?1 AND group_name = ?2) AND EXISTS (SELECT 1 FROM users \
                 WHERE user_pool_id = ?1 AND username = ?3) ON CONFLICT DO NOTHING",
                params![pool, name, username],
            )?;
            if inserted == 0
                && !exists(
                    c,
                    "SELECT 1 FROM group_members \
                     WHERE user_pool_id = ?1 AND group_name = ?2 AND username = ?3",
                    params![pool, name, username],
                )?
            {
                return Err(StoreError::NotFound);
            }
            Ok(())
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
            Ok(c.run(
                "DELETE FROM group_members \
                 WHERE user_pool_id = ?1 AND group_name = ?2 AND username = ?3",
                params![pool, name, username],
            )? > 0)
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
        let (pool, username) = (user_pool_id.to_owned(), username.to_owned());
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS_OF_GROUPS} FROM group_members JOIN user_groups \
                 ON user_groups.user_pool_id = group_members.user_pool_id \
                 AND user_groups.group_name = group_members.group_name \
                 WHERE group_members.user_pool_id = ?1 AND group_members.username = ?2 \
                 AND group_members.group_name > ?3 \
                 ORDER BY group_members.group_name LIMIT ?4"
            ))?;
            let rows = statement
                .query_map(
                    params![pool, username, after, i64::from(limit) + 1],
                    group_record,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn users_in_group(
        &self,
        user_pool_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>, StoreError> {
        let (pool, name) = (user_pool_id.to_owned(), group_name.to_owned());
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS_OF_USERS} FROM group_members JOIN users \
                 ON users.user_pool_id = group_members.user_pool_id \
                 AND users.username = group_members.username \
                 WHERE group_members.user_pool_id = ?1 AND group_members.group_name = ?2 \
                 AND group_members.username > ?3 \
                 ORDER BY group_members.username LIMIT ?4"
            ))?;
            let rows = statement
                .query_map(
                    params![pool, name, after, i64::from(limit) + 1],
                    user_record,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |c| {
            let pool = s.user_pool_id.as_str();
            if !exists(
                c,
                "SELECT 1 FROM users WHERE user_pool_id = ?1 AND username = ?2",
                params![pool, s.username],
            )? {
                return Err(StoreError::NotFound);
            }
            match c.run(
                &format!(
                    "INSERT INTO user_sessions ({SESSION_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    pool,
                    s.session_id,
                    s.username,
                    s.client_id.as_str(),
                    s.doc,
                    s.created_ms,
                    s.expires_ms
                ],
            ) {
                Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                other => other.map(|_| ()).map_err(StoreError::from),
            }
        })
        .await
    }

    async fn session(
        &self,
        user_pool_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let (pool, id) = (user_pool_id.to_owned(), session_id.to_owned());
        self.read(move |c| {
            Ok(c.row(
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM user_sessions \
                     WHERE user_pool_id = ?1 AND session_id = ?2"
                ),
                params![pool, id],
                |r| SessionRecord::from_cells(r),
            )
            .optional()?)
        })
        .await
    }

    async fn replace_session(
        &self,
        session: &SessionRecord,
        expected_doc: &str,
    ) -> Result<bool, StoreError> {
        let (s, expected) = (session.clone(), expected_doc.to_owned());
        self.write(move |c| {
            Ok(c.run(
                "UPDATE user_sessions SET doc = ?3, expires_ms = ?4 \
                 WHERE user_pool_id = ?1 AND session_id = ?2 AND doc = ?5",
                params![
                    s.user_pool_id.as_str(),
                    s.session_id,
                    s.doc,
                    s.expires_ms,
                    expected
                ],
            )? > 0)
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
            Ok(c.run(
                "DELETE FROM user_sessions WHERE user_pool_id = ?1 AND session_id = ?2",
                params![pool, id],
            )? > 0)
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
            let deleted = c.run(
                "DELETE FROM user_sessions WHERE user_pool_id = ?1 AND username = ?2",
                params![pool, username],
            )?;
            Ok(deleted as u64)
        })
        .await
    }
}

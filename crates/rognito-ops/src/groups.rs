//! Groups of a pool and their members (users-and-groups.md §7), and what groups put into a
//! user's tokens (`cognito:groups`, `cognito:roles`, `cognito:preferred_role`).

use rognito_model::*;
use rognito_store::{GroupRecord, StoreError};
use serde::{Deserialize, Serialize};

use crate::clock::epoch_seconds;
use crate::pagination::Listing;
use crate::users::{PoolView, user_not_found};
use crate::{Cognito, RequestContext, internal, required};

/// Page size of the group listings when `Limit` is absent or 0, and their maximum (model).
const PAGE_LIMIT: u32 = 60;

/// A group's settings as stored (`GroupRecord::doc`); members never set are absent, as
/// Cognito omits them from GroupType.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct GroupDoc {
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "RoleArn", skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    #[serde(rename = "Precedence", skip_serializing_if = "Option::is_none")]
    precedence: Option<i32>,
}

/// What a user's groups put into its tokens.
#[derive(Debug, Default)]
pub(crate) struct TokenGroups {
    /// Group names by precedence (lowest first, groups without one last), then name.
    pub names: Vec<String>,
    /// The role ARNs of those groups, in the same order, without repeats.
    pub roles: Vec<String>,
    /// The role of the group with the lowest precedence that has a role; none when two
    /// groups tie there with different roles (model doc of `Precedence`).
    pub preferred_role: Option<String>,
}

fn group_not_found() -> CognitoError {
    CognitoError::not_found("Group not found.")
}

fn page_limit(limit: Option<i32>) -> u32 {
    match limit {
        Some(n) if n > 0 => u32::try_from(n).unwrap_or(PAGE_LIMIT).min(PAGE_LIMIT),
        _ => PAGE_LIMIT,
    }
}

fn group_type(record: &GroupRecord) -> Result<GroupType, CognitoError> {
    let doc: GroupDoc = serde_json::from_str(&record.doc).map_err(|_| CognitoError::internal())?;
    Ok(GroupType {
        group_name: Some(record.group_name.clone()),
        user_pool_id: Some(record.user_pool_id.to_string()),
        description: doc.description,
        role_arn: doc.role_arn,
        precedence: doc.precedence,
        last_modified_date: Some(epoch_seconds(record.modified_ms)),
        creation_date: Some(epoch_seconds(record.created_ms)),
    })
}

impl Cognito {
    pub(crate) async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let now = self.clock.now_ms();
        let doc = GroupDoc {
            description: input.description.clone(),
            role_arn: input.role_arn.clone(),
            precedence: input.precedence,
        };
        let record = GroupRecord {
            user_pool_id: pool.id.clone().into(),
            group_name: required(input.group_name.as_deref(), "GroupName")?.to_owned(),
            doc: serde_json::to_string(&doc).map_err(|_| CognitoError::internal())?,
            created_ms: now,
            modified_ms: now,
        };
        match self
            .store
            .create_group(&record, self.config.quotas.groups_per_user_pool)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(crate::user_pools::pool_not_found(&pool.id)),
            // The text as users-and-groups.md §4 gives it (the trailing period is unverified).
            Err(StoreError::AlreadyExists) => {
                return Err(CognitoError::new(
                    ErrorCode::GroupExistsException,
                    "A group with the name already exists.",
                ));
            }
            Err(StoreError::LimitExceeded) => {
                return Err(CognitoError::limit_exceeded(format!(
                    "The user pool has reached its limit of {} groups.",
                    self.config.quotas.groups_per_user_pool
                )));
            }
            Err(e) => return Err(internal(e)),
        }
        Ok(CreateGroupResponse {
            group: Some(group_type(&record)?),
        })
    }

    async fn existing_group(
        &self,
        pool: &PoolView,
        name: &str,
    ) -> Result<GroupRecord, CognitoError> {
        self.store
            .group(&pool.id, name)
            .await
            .map_err(internal)?
            .ok_or_else(group_not_found)
    }

    pub(crate) async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let record = self
            .existing_group(&pool, required(input.group_name.as_deref(), "GroupName")?)
            .await?;
        Ok(GetGroupResponse {
            group: Some(group_type(&record)?),
        })
    }

    pub(crate) async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<ListGroupsResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let after = match input.next_token.as_deref() {
            Some(token) => Some(self.pages.decode(Listing::Groups, &pool.id, token)?),
            None => None,
        };
        let page = self
            .store
            .list_groups(&pool.id, after.as_deref(), page_limit(input.limit))
            .await
            .map_err(internal)?;
        let next = page
            .more
            .then(|| {
                page.items
                    .last()
                    .map(|g| self.pages.encode(Listing::Groups, &pool.id, &g.group_name))
            })
            .flatten();
        Ok(ListGroupsResponse {
            groups: Some(
                page.items
                    .iter()
                    .map(group_type)
                    .collect::<Result<_, _>>()?,
            ),
            next_token: next,
        })
    }

    /// UpdateGroup: members given replace the stored ones; members left out are kept
    /// (users-and-groups.md §7: unverified on AWS; moto does the same).
    pub(crate) async fn update_group(
        &self,
        ctx: &RequestContext,
        input: UpdateGroupRequest,
    ) -> Result<UpdateGroupResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let record = self
            .existing_group(&pool, required(input.group_name.as_deref(), "GroupName")?)
            .await?;
        let mut doc: GroupDoc =
            serde_json::from_str(&record.doc).map_err(|_| CognitoError::internal())?;
        if input.description.is_some() {
            doc.description = input.description.clone();
        }
        if input.role_arn.is_some() {
            doc.role_arn = input.role_arn.clone();
        }
        if input.precedence.is_some() {
            doc.precedence = input.precedence;
        }
        let next = GroupRecord {
            doc: serde_json::to_string(&doc).map_err(|_| CognitoError::internal())?,
            modified_ms: self.clock.now_ms(),
            ..record
        };
        let stored = self
            .store
            .replace_group(&next)
            .await
            .map_err(internal)?
            .ok_or_else(group_not_found)?;
        Ok(UpdateGroupResponse {
            group: Some(group_type(&stored)?),
        })
    }

    pub(crate) async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let name = required(input.group_name.as_deref(), "GroupName")?;
        if !self
            .store
            .delete_group(&pool.id, name)
            .await
            .map_err(internal)?
        {
            return Err(group_not_found());
        }
        Ok(EmptyOutput {})
    }

    pub(crate) async fn admin_add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AdminAddUserToGroupRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let name = required(input.group_name.as_deref(), "GroupName")?;
        self.existing_group(&pool, name).await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
            .await?;
        match self
            .store
            .add_to_group(&pool.id, name, &user.record.username)
            .await
        {
            Ok(()) => Ok(EmptyOutput {}),
            // The group or the user went away since they were read.
            Err(StoreError::NotFound) => {
                match self.store.group(&pool.id, name).await.map_err(internal)? {
                    None => Err(group_not_found()),
                    Some(_) => Err(user_not_found()),
                }
            }
            Err(e) => Err(internal(e)),
        }
    }

    /// AdminRemoveUserFromGroup: removing a user who is not a member succeeds (moto does the
    /// same; AWS unverified).
    pub(crate) async fn admin_remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: AdminRemoveUserFromGroupRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let name = required(input.group_name.as_deref(), "GroupName")?;
        self.existing_group(&pool, name).await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
            .await?;
        self.store
            .remove_from_group(&pool.id, name, &user.record.username)
            .await
            .map_err(internal)?;
        Ok(EmptyOutput {})
    }

    pub(crate) async fn admin_list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: AdminListGroupsForUserRequest,
    ) -> Result<AdminListGroupsForUserResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
            .await?;
        let parent = format!("{}/{}", pool.id, user.record.username);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(self.pages.decode(Listing::GroupsOfUser, &parent, token)?),
            None => None,
        };
        let page = self
            .store
            .groups_of_user(
                &pool.id,
                &user.record.username,
                after.as_deref(),
                page_limit(input.limit),
            )
            .await
            .map_err(internal)?;
        let next = page
            .more
            .then(|| {
                page.items.last().map(|g| {
                    self.pages
                        .encode(Listing::GroupsOfUser, &parent, &g.group_name)
                })
            })
            .flatten();
        Ok(AdminListGroupsForUserResponse {
            groups: Some(
                page.items
                    .iter()
                    .map(group_type)
                    .collect::<Result<_, _>>()?,
            ),
            next_token: next,
        })
    }

    pub(crate) async fn list_users_in_group(
        &self,
        ctx: &RequestContext,
        input: ListUsersInGroupRequest,
    ) -> Result<ListUsersInGroupResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let name = required(input.group_name.as_deref(), "GroupName")?;
        self.existing_group(&pool, name).await?;
        let parent = format!("{}/{name}", pool.id);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(self.pages.decode(Listing::UsersInGroup, &parent, token)?),
            None => None,
        };
        let page = self
            .store
            .users_in_group(&pool.id, name, after.as_deref(), page_limit(input.limit))
            .await
            .map_err(internal)?;
        let next = page
            .more
            .then(|| {
                page.items.last().map(|u| {
                    self.pages
                        .encode(Listing::UsersInGroup, &parent, &u.username)
                })
            })
            .flatten();
        let users = page
            .items
            .into_iter()
            .map(|r| self.user_from(r).map(|u| Self::user_type(&u, None)))
            .collect::<Result<_, _>>()?;
        Ok(ListUsersInGroupResponse {
            users: Some(users),
            next_token: next,
        })
    }

    /// The groups claims of a user's next tokens.
    pub(crate) async fn token_groups(
        &self,
        pool: &PoolView,
        username: &str,
    ) -> Result<TokenGroups, CognitoError> {
        let mut groups: Vec<(Option<i32>, String, Option<String>)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .groups_of_user(&pool.id, username, after.as_deref(), 100)
                .await
                .map_err(internal)?;
            for g in &page.items {
                let doc: GroupDoc =
                    serde_json::from_str(&g.doc).map_err(|_| CognitoError::internal())?;
                groups.push((doc.precedence, g.group_name.clone(), doc.role_arn));
            }
            after = page.items.last().map(|g| g.group_name.clone());
            if !page.more {
                break;
            }
        }
        groups.sort_by(|a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.1.cmp(&b.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(&b.1),
        });
        let mut out = TokenGroups::default();
        for (_, name, role) in &groups {
            out.names.push(name.clone());
            if let Some(role) = role
                && !out.roles.contains(role)
            {
                out.roles.push(role.clone());
            }
        }
        // The preferred role: the lowest precedence among groups with a role.
        let with_role: Vec<&(Option<i32>, String, Option<String>)> =
            groups.iter().filter(|g| g.2.is_some()).collect();
        if let Some(first) = with_role.first() {
            let tied: Vec<&&(Option<i32>, String, Option<String>)> =
                with_role.iter().filter(|g| g.0 == first.0).collect();
            if tied.iter().all(|g| g.2 == first.2) {
                out.preferred_role = first.2.clone();
            }
        }
        Ok(out)
    }
}

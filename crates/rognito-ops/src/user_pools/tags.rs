//! TagResource, UntagResource, ListTagsForResource on a user pool, by its ARN. Tags live in the
//! pool's document (`UserPoolTags`, which CreateUserPool and UpdateUserPool also set), so
//! DescribeUserPool shows the same tags these operations list.

use rognito_model::{
    CognitoError, ErrorCode, ListTagsForResourceRequest, ListTagsForResourceResponse,
    TagResourceRequest, TagResourceResponse, UntagResourceRequest, UntagResourceResponse,
};
use serde_json::{Map, Value};

use super::pool_not_found;
use crate::{Cognito, RequestContext, required};

/// A user pool holds at most this many tags (TagResource's API reference: "A user pool can have
/// as many as 50 tags").
const MAX_TAGS: usize = 50;

impl Cognito {
    /// The pool a user pool ARN names, if it is one of the caller's in this region, spelled
    /// exactly as rognito spells pool ARNs: `arn:aws:cognito-idp:<region>:<account>:userpool/<id>`.
    /// Only that spelling is accepted because IAM evaluated the ARN as given: another spelling
    /// of the same pool (another partition, other case) would escape a policy that names it.
    ///
    /// Errors (`ResourceNotFoundException`): a pool of another account or region, or another
    /// spelling, is indistinguishable from a missing one ("User pool <id> does not exist."); an
    /// ARN that names no user pool gets rognito's text.
    fn tagged_pool<'a>(&self, ctx: &RequestContext, arn: &'a str) -> Result<&'a str, CognitoError> {
        let mut parts = arn.splitn(6, ':');
        let fields: [Option<&str>; 6] = std::array::from_fn(|_| parts.next());
        let [
            Some("arn"),
            Some(partition),
            Some("cognito-idp"),
            Some(region),
            Some(account),
            Some(resource),
        ] = fields
        else {
            return Err(not_a_pool(arn));
        };
        let Some(id) = resource
            .strip_prefix("userpool/")
            .filter(|id| !id.is_empty())
        else {
            return Err(not_a_pool(arn));
        };
        if partition != "aws" || region != self.config.region || account != ctx.account_id {
            return Err(pool_not_found(id));
        }
        Ok(id)
    }

    pub(crate) async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, CognitoError> {
        let arn = required(input.resource_arn.as_deref(), "ResourceArn")?;
        let pool = self.tagged_pool(ctx, arn)?;
        let tags = input.tags.unwrap_or_default();
        self.modify_pool(ctx, pool, false, |doc| {
            let mut current = take_tags(doc);
            for (key, value) in &tags {
                current.insert(key.clone(), Value::String(value.clone()));
            }
            if current.len() > MAX_TAGS {
                return Err(too_many_tags());
            }
            doc.insert("UserPoolTags".into(), Value::Object(current));
            Ok(())
        })
        .await?;
        Ok(TagResourceResponse::default())
    }

    pub(crate) async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, CognitoError> {
        let arn = required(input.resource_arn.as_deref(), "ResourceArn")?;
        let pool = self.tagged_pool(ctx, arn)?;
        let keys = input.tag_keys.unwrap_or_default();
        self.modify_pool(ctx, pool, false, |doc| {
            let mut current = take_tags(doc);
            for key in &keys {
                current.remove(key);
            }
            doc.insert("UserPoolTags".into(), Value::Object(current));
            Ok(())
        })
        .await?;
        Ok(UntagResourceResponse::default())
    }

    pub(crate) async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, CognitoError> {
        let arn = required(input.resource_arn.as_deref(), "ResourceArn")?;
        let pool = self.tagged_pool(ctx, arn)?;
        let record = self.owned_pool(ctx, pool).await?;
        let typed = self.user_pool_type(&record)?;
        Ok(ListTagsForResourceResponse {
            tags: Some(typed.user_pool_tags.unwrap_or_default()),
        })
    }
}

/// The document's `UserPoolTags` (empty if missing), taken out to be changed and put back.
fn take_tags(doc: &mut Map<String, Value>) -> Map<String, Value> {
    match doc.remove("UserPoolTags") {
        Some(Value::Object(tags)) => tags,
        _ => Map::new(),
    }
}

/// rognito's text: an ARN of no user pool (Cognito's answer was not found).
fn not_a_pool(arn: &str) -> CognitoError {
    CognitoError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Resource {arn} is not a user pool."),
    )
}

/// rognito's text (Cognito's was not found), with the API reference's limit.
fn too_many_tags() -> CognitoError {
    CognitoError::invalid_parameter(format!("A user pool can have as many as {MAX_TAGS} tags."))
}

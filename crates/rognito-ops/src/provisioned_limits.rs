//! GetProvisionedLimit / UpdateProvisionedLimit over the request-rate meter the access gateway
//! owns ([`RateMeter`]): a provisioned rate is stored, and reaches every process's meter through
//! the change feed (this one's before UpdateProvisionedLimit answers).

use rognito_model::{
    ApiCategory, CognitoError, ErrorCode, GetProvisionedLimitRequest, GetProvisionedLimitResponse,
    LimitDefinitionType, LimitType, UpdateProvisionedLimitRequest, UpdateProvisionedLimitResponse,
};

use crate::{Cognito, RequestContext, required};

/// What the operations need of the request-rate limiter, which lives in the access gateway
/// (`rognito-access`); rates are requests per second.
pub trait RateMeter: Send + Sync {
    /// Charges one request of `category` to `account`; false when the account's rate in the
    /// category is used up (the caller answers [`throttled`]).
    fn charge(&self, account: &str, category: ApiCategory) -> bool;
    /// The account's rate in the category: provisioned with UpdateProvisionedLimit, else the
    /// default.
    fn rate(&self, account: &str, category: ApiCategory) -> u32;
    /// The category's default rate (AWS's, or the configured override).
    fn default_rate(&self, category: ApiCategory) -> u32;
}

/// A meter that charges nothing, at AWS's default rates (offline tools, tests).
pub struct Unmetered;

impl RateMeter for Unmetered {
    fn charge(&self, _: &str, _: ApiCategory) -> bool {
        true
    }
    fn rate(&self, _: &str, category: ApiCategory) -> u32 {
        category.default_rate()
    }
    fn default_rate(&self, category: ApiCategory) -> u32 {
        category.default_rate()
    }
}

/// Cognito's answer to a request over its rate.
pub fn throttled() -> CognitoError {
    CognitoError::new(ErrorCode::TooManyRequestsException, "Rate exceeded")
}

/// The categories' names, for messages.
pub fn category_names() -> String {
    ApiCategory::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn category_of_definition(
    definition: Option<&LimitDefinitionType>,
) -> Result<ApiCategory, CognitoError> {
    let definition = required(definition, "LimitDefinition")?;
    let name = definition
        .attributes
        .as_ref()
        .and_then(|a| a.get("Category"))
        .map(String::as_str)
        .unwrap_or_default();
    ApiCategory::from_name(name).ok_or_else(|| {
        CognitoError::invalid_parameter(format!(
            "Attributes must name a Category rognito limits: {}.",
            category_names()
        ))
    })
}

impl Cognito {
    fn limit_of(&self, account: &str, category: ApiCategory) -> LimitType {
        LimitType {
            limit_definition: Some(LimitDefinitionType {
                limit_class: Some("API_CATEGORY".into()),
                attributes: Some([("Category".to_owned(), category.name().to_owned())].into()),
            }),
            provisioned_limit_value: i32::try_from(self.meter.rate(account, category)).ok(),
            free_limit_value: i32::try_from(self.meter.default_rate(category)).ok(),
        }
    }

    pub(crate) async fn get_provisioned_limit(
        &self,
        ctx: &RequestContext,
        input: GetProvisionedLimitRequest,
    ) -> Result<GetProvisionedLimitResponse, CognitoError> {
        let category = category_of_definition(input.limit_definition.as_ref())?;
        Ok(GetProvisionedLimitResponse {
            limit: Some(self.limit_of(&ctx.account_id, category)),
        })
    }

    pub(crate) async fn update_provisioned_limit(
        &self,
        ctx: &RequestContext,
        input: UpdateProvisionedLimitRequest,
    ) -> Result<UpdateProvisionedLimitResponse, CognitoError> {
        let category = category_of_definition(input.limit_definition.as_ref())?;
        let requested = u32::try_from(input.requested_limit_value.unwrap_or(0)).unwrap_or(0);
        let free = self.meter.default_rate(category);
        // As on AWS, a provisioned limit is a raise: between the default and the maximum.
        if requested < free {
            return Err(CognitoError::invalid_parameter(format!(
                "RequestedLimitValue must be at least the default limit of {free} for {}.",
                category.name()
            )));
        }
        // Stored, so it survives restarts and reaches every process; the change feed sets it
        // in the meter before this returns.
        self.store
            .put_provisioned_limit(&ctx.account_id, category.name(), requested)
            .await
            .map_err(crate::internal)?;
        Ok(UpdateProvisionedLimitResponse {
            limit: Some(self.limit_of(&ctx.account_id, category)),
        })
    }
}

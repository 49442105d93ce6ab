//! Request-rate limits by Cognito's API categories, per account (per node), with Cognito's
//! per-pool cap of 5 requests per second for any single resource operation, and the
//! GetProvisionedLimit / UpdateProvisionedLimit operations. Off by default for local use.
//! Only requests that authenticated are charged (failed client authentications have budgets of
//! their own, in `auth_failures`), so an outsider cannot spend a tenant's quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rognito_model::{
    ApiCategory, CognitoError, ErrorCode, GetProvisionedLimitRequest, GetProvisionedLimitResponse,
    LimitDefinitionType, LimitType, Operation, UpdateProvisionedLimitRequest,
    UpdateProvisionedLimitResponse,
};

use crate::{Cognito, RequestContext, required};

/// Cognito allows at most this rate for one resource operation on one user pool.
const PER_POOL_OPERATION_RPS: u32 = 5;

fn category_names() -> String {
    ApiCategory::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A token bucket holding one second's worth of requests.
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, rate: u32, now: Instant) -> bool {
        let rate = f64::from(rate.max(1));
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub struct RateLimits {
    enabled: bool,
    /// Category → default rate (AWS's, or the configured override).
    defaults: HashMap<ApiCategory, u32>,
    /// (account, category) → rate raised with UpdateProvisionedLimit.
    provisioned: Mutex<HashMap<(String, ApiCategory), u32>>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimits {
    /// `overrides` replace AWS's default rate of a category.
    pub fn new(enabled: bool, overrides: &[(String, u32)]) -> Result<Self, String> {
        let mut defaults = Self::aws_defaults();
        for (name, rate) in overrides {
            let Some(category) = ApiCategory::from_name(name) else {
                return Err(format!(
                    "unknown rate-limit category {name}; the categories are {}",
                    category_names()
                ));
            };
            if *rate == 0 {
                return Err(format!("the rate of {name} must be at least 1"));
            }
            defaults.insert(category, *rate);
        }
        Ok(RateLimits {
            enabled,
            defaults,
            provisioned: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    pub fn disabled() -> Self {
        RateLimits {
            enabled: false,
            defaults: Self::aws_defaults(),
            provisioned: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Sets an account's provisioned rate for a category (from the store, or the change feed).
    pub(crate) fn set_provisioned(&self, account: &str, category: ApiCategory, rate: u32) {
        if let Ok(mut provisioned) = self.provisioned.lock() {
            provisioned.insert((account.to_owned(), category), rate);
        }
    }

    fn aws_defaults() -> HashMap<ApiCategory, u32> {
        ApiCategory::ALL
            .iter()
            .map(|c| (*c, c.default_rate()))
            .collect()
    }

    fn rate(&self, account: &str, category: ApiCategory) -> u32 {
        self.provisioned
            .lock()
            .ok()
            .and_then(|p| p.get(&(account.to_owned(), category)).copied())
            .unwrap_or_else(|| self.defaults.get(&category).copied().unwrap_or(u32::MAX))
    }

    fn take(&self, key: String, rate: u32) -> bool {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() > 100_000 {
            buckets.retain(|_, b| now.duration_since(b.last) < Duration::from_secs(2));
        }
        buckets
            .entry(key)
            .or_insert(Bucket {
                tokens: f64::from(rate.max(1)),
                last: now,
            })
            .take(rate, now)
    }

    /// Whether a request of `operation` by `account` (on `pool`, if any) may proceed: the
    /// operation's category has rate left for the account and, for a resource operation on a
    /// pool, the operation has rate left on that pool. Operations without a category pass.
    pub fn allow(&self, account: &str, operation: Operation, pool: Option<&str>) -> bool {
        let Some(category) = operation.category().filter(|_| self.enabled) else {
            return true;
        };
        if !self.allow_category(account, category) {
            return false;
        }
        match (category, pool) {
            (
                ApiCategory::UserPoolResourceRead | ApiCategory::UserPoolResourceUpdate,
                Some(pool),
            ) => self.take(
                format!("{account}\u{0}{pool}\u{0}{}", operation.name()),
                PER_POOL_OPERATION_RPS,
            ),
            _ => true,
        }
    }

    /// Whether `account` has rate left in `category` (the token endpoint, which Cognito meters
    /// as ClientAuthentication like GetClientToken, is charged this way).
    pub fn allow_category(&self, account: &str, category: ApiCategory) -> bool {
        !self.enabled
            || self.take(
                format!("{account}\u{0}{}", category.name()),
                self.rate(account, category),
            )
    }
}

pub fn throttled() -> CognitoError {
    CognitoError::new(ErrorCode::TooManyRequestsException, "Rate exceeded")
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
        let limits = &self.rate_limits;
        LimitType {
            limit_definition: Some(LimitDefinitionType {
                limit_class: Some("API_CATEGORY".into()),
                attributes: Some([("Category".to_owned(), category.name().to_owned())].into()),
            }),
            provisioned_limit_value: i32::try_from(limits.rate(account, category)).ok(),
            free_limit_value: limits
                .defaults
                .get(&category)
                .and_then(|v| i32::try_from(*v).ok()),
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
        let free = self
            .rate_limits
            .defaults
            .get(&category)
            .copied()
            .unwrap_or(1);
        // As on AWS, a provisioned limit is a raise: between the default and the maximum.
        if requested < free {
            return Err(CognitoError::invalid_parameter(format!(
                "RequestedLimitValue must be at least the default limit of {free} for {}.",
                category.name()
            )));
        }
        // Stored, so it survives restarts and reaches every process; the change feed sets it
        // here before this returns.
        self.store
            .put_provisioned_limit(&ctx.account_id, category.name(), requested)
            .await
            .map_err(crate::internal)?;
        Ok(UpdateProvisionedLimitResponse {
            limit: Some(self.limit_of(&ctx.account_id, category)),
        })
    }

    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refuse_beyond_the_rate_and_per_pool() {
        let limits = RateLimits::new(true, &[("UserPoolResourceRead".into(), 8)]).expect("limits");
        let allowed = (0..20)
            .filter(|_| limits.allow("a", Operation::DescribeResourceServer, Some("p1")))
            .count();
        assert_eq!(allowed, 5, "5 RPS per operation and pool");
        // Every request counts against the category, refused or not: account a used it up.
        assert!(!limits.allow("a", Operation::ListResourceServers, Some("p2")));
        let other_pools = (0..20)
            .filter(|i| limits.allow("c", Operation::ListResourceServers, Some(&format!("p{i}"))))
            .count();
        assert_eq!(
            other_pools, 8,
            "the category's 8 RPS over all of an account's pools"
        );
        assert!(
            limits.allow("b", Operation::DescribeResourceServer, Some("p1")),
            "per account"
        );
        assert!(RateLimits::new(true, &[("Nope".into(), 1)]).is_err());
        let off = RateLimits::disabled();
        assert!((0..1000).all(|_| off.allow("a", Operation::DescribeResourceServer, Some("p"))));
    }
}

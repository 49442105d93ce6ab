//! User pool domains: Create, Describe, Update, Delete. A domain gives a pool its token endpoint:
//! the prefix `<domain>.auth.<region>.amazoncognito.com` (or a custom domain name).

use rognito_model::{
    CognitoError, CreateUserPoolDomainRequest, CreateUserPoolDomainResponse,
    DeleteUserPoolDomainRequest, DescribeUserPoolDomainRequest, DescribeUserPoolDomainResponse,
    DomainDescriptionType, EmptyOutput, UpdateUserPoolDomainRequest, UpdateUserPoolDomainResponse,
};
use rognito_store::{DomainRecord, StoreError};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::user_pools::pool_not_found;
use crate::{Cognito, RequestContext, internal, required};

/// Words Cognito refuses anywhere in a prefix domain.
const RESERVED_WORDS: &[&str] = &["aws", "amazon", "cognito"];

/// What a domain record's `doc` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DomainSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_login_version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_domain_config: Option<rognito_model::CustomDomainConfigType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    routing: Option<rognito_model::RoutingType>,
}

impl Cognito {
    pub async fn create_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolDomainRequest,
    ) -> Result<CreateUserPoolDomainResponse, CognitoError> {
        let domain = required(input.domain.as_deref(), "Domain")?;
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        if let Some(word) = RESERVED_WORDS.iter().find(|w| domain.contains(*w)) {
            return Err(CognitoError::invalid_parameter(format!(
                "Domain cannot contain reserved word: {word}"
            )));
        }
        self.check_pool(ctx, pool_id).await?;
        let settings = DomainSettings {
            managed_login_version: input.managed_login_version,
            custom_domain_config: input.custom_domain_config.clone(),
            routing: input.routing.clone(),
        };
        let now = now_ms();
        let record = DomainRecord {
            domain: domain.to_owned(),
            user_pool_id: pool_id.to_owned(),
            doc: serde_json::to_string(&settings).map_err(|_| CognitoError::internal())?,
            created_ms: now,
            modified_ms: now,
        };
        match self.store.create_domain(&record).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(pool_not_found(pool_id)),
            Err(StoreError::AlreadyExists) => {
                return Err(CognitoError::invalid_parameter(
                    "Domain already associated with another user pool.",
                ));
            }
            Err(StoreError::Conflict) => {
                return Err(CognitoError::invalid_parameter(
                    "User pool already has a domain configured.",
                ));
            }
            Err(e) => return Err(internal(e)),
        }
        self.forget_domain(pool_id, domain);
        Ok(CreateUserPoolDomainResponse {
            managed_login_version: settings.managed_login_version,
            cloud_front_domain: settings
                .custom_domain_config
                .as_ref()
                .map(|_| cloudfront_name(domain)),
            routing: settings.routing,
        })
    }

    pub async fn describe_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolDomainRequest,
    ) -> Result<DescribeUserPoolDomainResponse, CognitoError> {
        let domain = required(input.domain.as_deref(), "Domain")?;
        // Cognito answers an unknown domain with 200 and an empty description.
        let mut description = DomainDescriptionType::default();
        if let Some(record) = self.store.domain(domain).await.map_err(internal)?
            && let Some(pool) = self
                .store
                .user_pool(&record.user_pool_id)
                .await
                .map_err(internal)?
            && pool.account_id == ctx.account_id
        {
            let settings = settings_of(&record)?;
            description = DomainDescriptionType {
                user_pool_id: Some(record.user_pool_id.clone()),
                aws_account_id: Some(pool.account_id.clone()),
                domain: Some(record.domain.clone()),
                s3_bucket: Some(format!("aws-cognito-prod-{}-assets", self.config.region)),
                cloud_front_distribution: Some(cloudfront_name(&record.domain)),
                version: Some(version_stamp(record.modified_ms)),
                status: Some("ACTIVE".into()),
                custom_domain_config: Some(settings.custom_domain_config.unwrap_or_default()),
                managed_login_version: settings.managed_login_version,
                routing: settings.routing,
            };
        }
        Ok(DescribeUserPoolDomainResponse {
            domain_description: Some(description),
        })
    }

    pub async fn update_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolDomainRequest,
    ) -> Result<UpdateUserPoolDomainResponse, CognitoError> {
        let domain = required(input.domain.as_deref(), "Domain")?;
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        let settings = DomainSettings {
            managed_login_version: input.managed_login_version,
            custom_domain_config: input.custom_domain_config.clone(),
            routing: input.routing.clone(),
        };
        let record = DomainRecord {
            domain: domain.to_owned(),
            user_pool_id: pool_id.to_owned(),
            doc: serde_json::to_string(&settings).map_err(|_| CognitoError::internal())?,
            created_ms: 0,
            modified_ms: now_ms(),
        };
        self.store
            .replace_domain(&record)
            .await
            .map_err(internal)?
            .ok_or_else(|| domain_not_found(domain, pool_id))?;
        Ok(UpdateUserPoolDomainResponse {
            managed_login_version: settings.managed_login_version,
            cloud_front_domain: settings
                .custom_domain_config
                .as_ref()
                .map(|_| cloudfront_name(domain)),
            routing: settings.routing,
        })
    }

    pub async fn delete_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolDomainRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let domain = required(input.domain.as_deref(), "Domain")?;
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        let deleted = self
            .store
            .delete_domain(pool_id, domain)
            .await
            .map_err(internal)?;
        self.forget_domain(pool_id, domain);
        if !deleted {
            return Err(domain_not_found(domain, pool_id));
        }
        Ok(EmptyOutput {})
    }

    fn forget_domain(&self, pool_id: &str, domain: &str) {
        self.pool_domains.invalidate(pool_id);
        self.domain_pools.invalidate(domain);
    }

    /// The pool's domain, if it has one (cached).
    pub(crate) async fn domain_of_pool(
        &self,
        pool_id: &str,
    ) -> Result<Option<String>, CognitoError> {
        let cached = self
            .pool_domains
            .get_or_load(pool_id, || async {
                let record = self.store.domain_of_pool(pool_id).await.map_err(internal)?;
                Ok::<_, CognitoError>(Some(record.map(|r| r.domain)))
            })
            .await?;
        Ok(cached.and_then(|d| (*d).clone()))
    }

    /// The pool a domain belongs to, if it exists (cached).
    pub(crate) async fn pool_of_domain(
        &self,
        domain: &str,
    ) -> Result<Option<String>, CognitoError> {
        let cached = self
            .domain_pools
            .get_or_load(domain, || async {
                let record = self.store.domain(domain).await.map_err(internal)?;
                Ok::<_, CognitoError>(Some(record.map(|r| r.user_pool_id)))
            })
            .await?;
        Ok(cached.and_then(|d| (*d).clone()))
    }

    /// `<prefix>` when `host` is `<prefix>.auth.<region>.amazoncognito.com[:port]`. Host names
    /// are case-insensitive, so the comparison is made in lower case.
    pub(crate) fn domain_prefix_of_host(&self, host: &str) -> Option<String> {
        let host = host.split(':').next()?.to_ascii_lowercase();
        let (prefix, rest) = host.split_once(".auth.")?;
        let region = rest.strip_suffix(".amazoncognito.com")?;
        (!prefix.is_empty() && !region.is_empty() && !region.contains('.'))
            .then(|| prefix.to_owned())
    }
}

fn settings_of(record: &DomainRecord) -> Result<DomainSettings, CognitoError> {
    serde_json::from_str(&record.doc).map_err(|e| {
        tracing::error!(error = %e, domain = %record.domain, "stored domain is unreadable");
        CognitoError::internal()
    })
}

fn domain_not_found(domain: &str, pool_id: &str) -> CognitoError {
    CognitoError::not_found(format!(
        "Domain {domain} does not exist in user pool {pool_id}."
    ))
}

/// A stable CloudFront-style name for a domain (`d` + 13 characters), as Cognito reports one.
fn cloudfront_name(domain: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, domain.as_bytes());
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = digest
        .as_ref()
        .iter()
        .take(13)
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect();
    format!("d{tail}.cloudfront.net")
}

/// Cognito's domain `Version`: the UTC time of the last change as `YYYYMMDDhhmmss`.
fn version_stamp(ms: i64) -> String {
    let (year, month, day, hour, minute, second) = crate::clock::utc_fields(ms.div_euclid(1000));
    format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_stamps_are_utc_calendar_times() {
        assert_eq!(version_stamp(1_548_697_442_000), "20190128174402");
        assert_eq!(version_stamp(0), "19700101000000");
        assert_eq!(version_stamp(951_782_400_000), "20000229000000");
    }

    #[test]
    fn cloudfront_names_are_stable() {
        assert_eq!(cloudfront_name("a"), cloudfront_name("a"));
        assert_ne!(cloudfront_name("a"), cloudfront_name("b"));
        assert_eq!(
            cloudfront_name("a").len(),
            "d".len() + 13 + ".cloudfront.net".len()
        );
    }
}

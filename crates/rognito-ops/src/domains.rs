//! User pool domains: Create, Describe, Update, Delete. A domain gives a pool its token endpoint:
//! the prefix `<domain>.auth.<region>.amazoncognito.com` (or a custom domain name).

use rognito_model::{
    CognitoError, CreateUserPoolDomainRequest, CreateUserPoolDomainResponse,
    DeleteUserPoolDomainRequest, DeleteUserPoolDomainResponse, DescribeUserPoolDomainRequest,
    DescribeUserPoolDomainResponse, DomainDescriptionType, UpdateUserPoolDomainRequest,
    UpdateUserPoolDomainResponse, UserPoolId,
};
use rognito_store::{DomainRecord, StoreError};
use serde::{Deserialize, Serialize};

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
    pub(crate) async fn create_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolDomainRequest,
    ) -> Result<CreateUserPoolDomainResponse, CognitoError> {
        let domain = normalized(required(input.domain.as_deref(), "Domain")?);
        let domain = domain.as_ref();
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        match &input.custom_domain_config {
            None => check_prefix(domain)?,
            Some(config) => check_custom(domain, config)?,
        }
        check_managed_login_version(input.managed_login_version)?;
        self.check_pool(ctx, pool_id).await?;
        let settings = DomainSettings {
            managed_login_version: input.managed_login_version,
            custom_domain_config: input.custom_domain_config.clone(),
            routing: input.routing.clone(),
        };
        let now = self.clock.now_ms();
        let record = DomainRecord {
            domain: domain.to_owned(),
            user_pool_id: pool_id.into(),
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
        Ok(CreateUserPoolDomainResponse {
            managed_login_version: settings.managed_login_version,
            cloud_front_domain: settings
                .custom_domain_config
                .as_ref()
                .map(|_| cloudfront_name(domain)),
            routing: settings.routing,
        })
    }

    pub(crate) async fn describe_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolDomainRequest,
    ) -> Result<DescribeUserPoolDomainResponse, CognitoError> {
        let domain = normalized(required(input.domain.as_deref(), "Domain")?);
        let domain = domain.as_ref();
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
                user_pool_id: Some(record.user_pool_id.as_str().to_owned()),
                aws_account_id: Some(pool.account_id.as_str().to_owned()),
                domain: Some(record.domain.clone()),
                s3_bucket: Some(format!(
                    "aws-cognito-prod-{}-assets",
                    region_code(&self.config.region)
                )),
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

    pub(crate) async fn update_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolDomainRequest,
    ) -> Result<UpdateUserPoolDomainResponse, CognitoError> {
        let domain = normalized(required(input.domain.as_deref(), "Domain")?);
        let domain = domain.as_ref();
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        check_managed_login_version(input.managed_login_version)?;
        // A domain keeps its kind: Cognito's texts (terraform-provider-aws#43248, aws-cdk#25712).
        let existing = self.store.domain(domain).await.map_err(internal)?;
        let custom = match &existing {
            Some(record) if record.user_pool_id == pool_id => {
                Some(settings_of(record)?.custom_domain_config.is_some())
            }
            _ => None,
        };
        match (&input.custom_domain_config, custom) {
            (None, Some(true)) => {
                return Err(CognitoError::invalid_parameter(
                    "Cannot convert custom domain to prefix domain.",
                ));
            }
            (Some(_), Some(false)) => {
                return Err(CognitoError::invalid_parameter(
                    "User pool should have a custom domain associated, failed to update the \
                     certificate.",
                ));
            }
            // A new certificate for a custom domain, or (for a domain that is not the pool's)
            // the form of what was asked for before the not-found answer.
            (Some(config), Some(true) | None) => check_custom(domain, config)?,
            (None, _) => {}
        }
        let settings = DomainSettings {
            managed_login_version: input.managed_login_version,
            custom_domain_config: input.custom_domain_config.clone(),
            routing: input.routing.clone(),
        };
        let record = DomainRecord {
            domain: domain.to_owned(),
            user_pool_id: pool_id.into(),
            doc: serde_json::to_string(&settings).map_err(|_| CognitoError::internal())?,
            created_ms: 0,
            modified_ms: self.clock.now_ms(),
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

    pub(crate) async fn delete_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolDomainRequest,
    ) -> Result<DeleteUserPoolDomainResponse, CognitoError> {
        let domain = normalized(required(input.domain.as_deref(), "Domain")?);
        let domain = domain.as_ref();
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        let deleted = self
            .store
            .delete_domain(pool_id, domain)
            .await
            .map_err(internal)?;
        if !deleted {
            return Err(domain_not_found(domain, pool_id));
        }
        Ok(DeleteUserPoolDomainResponse::default())
    }

    /// The pool's domain, if it has one (cached).
    pub(crate) async fn domain_of_pool(
        &self,
        pool_id: &str,
    ) -> Result<Option<String>, CognitoError> {
        let cached = self
            .caches
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
    ) -> Result<Option<UserPoolId>, CognitoError> {
        let cached = self
            .caches
            .domain_pools
            .get_or_load(domain, || async {
                let record = self.store.domain(domain).await.map_err(internal)?;
                Ok::<_, CognitoError>(Some(record.map(|r| r.user_pool_id)))
            })
            .await?;
        Ok(cached.and_then(|d| (*d).clone()))
    }

    /// Whether a request's `Host` names a domain, and the pool that owns it: `None` when it
    /// names none (a plain host); `Some(owner)` for `<prefix>.auth.<region>.amazoncognito.com`
    /// (`owner` None when no pool has that prefix) or for an existing custom domain. Only
    /// names shaped like domain names are looked up, and a miss is not cached, so Host
    /// headers cannot fill the cache.
    pub(crate) async fn pool_of_host(
        &self,
        host: &str,
    ) -> Result<Option<Option<UserPoolId>>, CognitoError> {
        if let Some(prefix) = self.domain_prefix_of_host(host) {
            return Ok(Some(self.pool_of_domain(&prefix).await?));
        }
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
            .to_ascii_lowercase();
        if !is_domain_name(&name) {
            return Ok(None);
        }
        let found = self
            .caches
            .domain_pools
            .get_or_load(name.as_str(), || async {
                let record = self.store.domain(&name).await.map_err(internal)?;
                Ok::<_, CognitoError>(record.map(|r| Some(r.user_pool_id)))
            })
            .await?;
        Ok(found.map(|owner| (*owner).clone()))
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

/// Managed login has two versions: 1 (the classic hosted UI) and 2 (managed login). The
/// model types the member as any integer; Cognito's text for others was not found.
fn check_managed_login_version(version: Option<i32>) -> Result<(), CognitoError> {
    match version {
        None | Some(1 | 2) => Ok(()),
        Some(other) => Err(CognitoError::invalid_parameter(format!(
            "ManagedLoginVersion {other} does not exist: use 1 (the classic hosted UI) or 2 \
             (managed login)."
        ))),
    }
}

/// A prefix domain: the model's pattern, checked by the service with its own text
/// (mineiros-io/terraform-aws-cognito-user-pool#69), and no reserved word.
fn check_prefix(domain: &str) -> Result<(), CognitoError> {
    let bytes = domain.as_bytes();
    let inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !(edge(bytes.first()) && edge(bytes.last()) && bytes.iter().all(inner)) {
        return Err(CognitoError::invalid_parameter(
            "The domain name contains an invalid character. Domain names can only contain \
             lower-case letters, numbers, and hyphens. Please enter a different name that \
             follows this format: ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$",
        ));
    }
    if let Some(word) = RESERVED_WORDS.iter().find(|w| domain.contains(*w)) {
        return Err(CognitoError::invalid_parameter(format!(
            "Domain cannot contain reserved word: {word}"
        )));
    }
    Ok(())
}

/// A fully qualified domain name: at most 253 characters, two or more labels of letters,
/// digits and inner hyphens (at most 63 each), the last not all digits (so no IP address).
fn is_domain_name(name: &str) -> bool {
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b.first() != Some(&b'-')
            && b.last() != Some(&b'-')
    };
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Custom domain names are stored in lower case (DNS names are case-insensitive, and the
/// token endpoint matches `Host` in lower case); prefix names must already be.
fn normalized(domain: &str) -> std::borrow::Cow<'_, str> {
    if domain.contains('.') {
        std::borrow::Cow::Owned(domain.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(domain)
    }
}

/// A custom domain: a fully qualified name, with an ACM certificate in us-east-1 (CloudFront
/// takes certificates only from there). A certificate Cognito cannot use is refused with the
/// CloudFront error it wraps (aws-amplify/amplify-hosting#2278); rognito checks the ARN's form.
fn check_custom(
    domain: &str,
    config: &rognito_model::CustomDomainConfigType,
) -> Result<(), CognitoError> {
    if !is_domain_name(domain) {
        return Err(CognitoError::invalid_parameter(format!(
            "Custom domain {domain} is not a fully qualified domain name."
        )));
    }
    let arn = config.certificate_arn.as_deref().unwrap_or_default();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = matches!(
        parts.as_slice(),
        ["arn", "aws", "acm", "us-east-1", account, resource]
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty())
    );
    if !valid {
        return Err(CognitoError::invalid_parameter(
            "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't \
             valid, or doesn't include a valid certificate chain. (Service: AmazonCloudFront; \
             Status Code: 400; Error Code: InvalidViewerCertificate)",
        ));
    }
    Ok(())
}

/// The short code AWS names a region by in the domain's asset bucket
/// (`aws-cognito-prod-<code>-assets`): airport codes, seen in captures for us-east-1 (iad),
/// us-west-2 (pdx), us-west-1 (sfo) and ap-northeast-1 (nrt); AWS's other region codes are
/// used likewise, unverified; an unknown region keeps its name.
fn region_code(region: &str) -> &str {
    match region {
        "us-east-1" => "iad",
        "us-east-2" => "cmh",
        "us-west-1" => "sfo",
        "us-west-2" => "pdx",
        "ca-central-1" => "yul",
        "sa-east-1" => "gru",
        "eu-west-1" => "dub",
        "eu-west-2" => "lhr",
        "eu-west-3" => "cdg",
        "eu-central-1" => "fra",
        "eu-north-1" => "arn",
        "ap-northeast-1" => "nrt",
        "ap-northeast-2" => "icn",
        "ap-southeast-1" => "sin",
        "ap-southeast-2" => "syd",
        "ap-south-1" => "bom",
        other => other,
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
        .filter_map(|b| alphabet.get(usize::from(*b) % alphabet.len()))
        .map(|b| char::from(*b))
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
    fn prefix_and_custom_domains_follow_their_rules() {
        let invalid = "The domain name contains an invalid character.";
        for bad in ["MyShopAuth", "shop.auth", "-shop", "shop-", "sh_op"] {
            assert!(
                check_prefix(bad)
                    .expect_err(bad)
                    .message
                    .starts_with(invalid),
                "{bad}"
            );
        }
        assert!(check_prefix("my-shop-1").is_ok());
        assert_eq!(
            check_prefix("mycognito").expect_err("reserved").message,
            "Domain cannot contain reserved word: cognito"
        );
        let config = |arn: &str| rognito_model::CustomDomainConfigType {
            certificate_arn: Some(arn.into()),
            ..Default::default()
        };
        let good = config("arn:aws:acm:us-east-1:123456789012:certificate/abc-123");
        assert!(check_custom("auth.shop.example", &good).is_ok());
        assert!(check_custom("shop", &good).is_err(), "not fully qualified");
        assert!(check_custom("10.0.0.1", &good).is_err(), "an IP address");
        assert_eq!(normalized("Auth.Shop.Example"), "auth.shop.example");
        assert_eq!(
            normalized("Prefix"),
            "Prefix",
            "prefixes are checked, not changed"
        );
        assert!(
            check_custom(
                "auth.shop.example",
                &config("arn:aws:acm:eu-west-1:123456789012:certificate/x")
            )
            .expect_err("region")
            .message
            .contains("isn't in us-east-1 region")
        );
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

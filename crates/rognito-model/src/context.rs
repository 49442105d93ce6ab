//! What an operation knows of its call besides the input: who is calling, and which resource
//! the input names.

use std::net::IpAddr;

/// Who is calling: operations only ever see the caller's own account's resources.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The caller's 12-digit AWS account id.
    pub account_id: String,
    /// The request id the response carries (`x-amzn-RequestId`).
    pub request_id: String,
    /// The signing identity (`None` for unsigned operations and `--auth dev`).
    pub user_name: Option<String>,
    /// The signing identity's ARN, as AWS's AccessDeniedException texts name it.
    pub principal_arn: Option<String>,
    /// The caller's address (after trusted proxies), for failed-authentication budgets.
    pub source_ip: Option<IpAddr>,
}

/// The IAM resource an operation's input names (codegen/operations.py's resource member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A user pool, by id: authorized on the pool's ARN.
    UserPool(&'a str),
    /// A resource given by its ARN (TagResource and the other tag operations).
    Arn(&'a str),
    /// No resource (CreateUserPool, ListUserPools, ...), or the member is missing: `*`.
    Any,
}

impl Resource<'_> {
    /// The pool the input names, if it names one by id (rate limits cap per pool).
    pub fn user_pool_id(&self) -> Option<&str> {
        match self {
            Resource::UserPool(id) => Some(id),
            _ => None,
        }
    }
}

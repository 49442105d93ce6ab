//! What an operation knows of its call besides the input: who is calling, and which resource
//! the input names.

use std::net::IpAddr;

use crate::AccountId;

/// Who is calling: operations only ever see the caller's own account's resources.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The caller's 12-digit AWS account id.
    pub account_id: AccountId,
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
    /// The pool the input names, by id or as a user pool ARN (rate limits cap per pool).
    pub fn user_pool_id(&self) -> Option<&str> {
        match self {
            Resource::UserPool(id) => Some(id),
            Resource::Arn(arn) => arn.rsplit_once(":userpool/").map(|(_, id)| id),
            Resource::Any => None,
        }
    }
}

/// Where the operations and front ends read the wall-clock time, so tests can set it (token
/// expiry, signature freshness) instead of waiting for it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch (0 before it).
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch.
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that shows what it is set to: for tests.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock showing `now_ms` (milliseconds since the Unix epoch).
    pub fn at(now_ms: i64) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(now_ms))
    }

    /// Moves the clock by `ms` milliseconds (backwards when negative).
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

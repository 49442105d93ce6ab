//! Access control between the front ends and the operations: who may call (identities with
//! access keys, IAM policy evaluation), how often (rate limits by API category), and what is
//! recorded (the audit log). Every front end goes through the [`Gateway`].

pub mod audit;
mod authorize;
mod gateway;
pub mod iam;
mod identities;
mod rate_limits;

pub use authorize::Authorizer;
pub use gateway::{
    FrontEnd, Gateway, Operator, Refusal, Request, SINK_DEFAULT_LIMIT, SINK_MAX_LIMIT,
    SINK_OPERATION, SinkQuery,
};
pub use identities::{
    ALLOW_ALL, Identities, IdentityError, NewAccessKey, ROOT_USER, RootKey, user_arn,
};
pub use rate_limits::RateLimits;

/// Who a request acts as, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The 12-digit account the request acts in.
    pub account_id: rognito_model::AccountId,
    /// `arn:aws:iam::<account>:user/<name>`; None for unauthenticated operations and dev mode.
    pub arn: Option<String>,
    /// The identity's name, for policy lookups; None when no identity signed the request.
    pub user_name: Option<String>,
}

/// Settings the operations layer needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct OpsConfig {
    pub region: String,
    pub quotas: Quotas,
    /// Tokens' `iss` is `<issuer_base>/<pool id>`.
    pub issuer_base: String,
    /// Where this server is reached: the base of the JWKS and OAuth endpoint URLs it advertises.
    pub public_url: String,
    /// The cost of users' password hashes.
    pub password_hashing: crate::users::PasswordHashing,
}

/// Cognito's default quotas; each can be raised (or lowered) in the server's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    pub user_pools_per_account: u64,
    pub resource_servers_per_user_pool: u64,
    pub scopes_per_resource_server: u64,
    pub clients_per_user_pool: u64,
    pub groups_per_user_pool: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        // https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html
        Quotas {
            user_pools_per_account: 1_000,
            resource_servers_per_user_pool: 25,
            scopes_per_resource_server: 100,
            clients_per_user_pool: 1_000,
            groups_per_user_pool: 10_000,
        }
    }
}

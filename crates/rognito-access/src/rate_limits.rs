//! Request-rate limits by Cognito's API categories, per account, with Cognito's
//! per-pool cap of 5 requests per second for any single resource operation. Off by default for
//! local use. Only requests that authenticated are charged (failed client authentications have
//! budgets of their own, in `rognito_ops::auth_failures`), so an outsider cannot spend a
//! tenant's quota. Rates provisioned with UpdateProvisionedLimit are stored; the limiter loads
//! them at start and follows the change feed for new ones.
//!
//! Several nodes sharing a PostgreSQL database divide every rate among themselves: each node
//! allows `rate / N`, N being the nodes alive now (the store's heartbeat count). A client whose
//! requests a load balancer spreads over the nodes is then held to the configured rate; one that
//! sends everything to one node gets `rate / N` (stricter, never looser). No request waits for
//! another node: the division is the whole of the coordination.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rognito_model::{AccountId, ApiCategory, Operation};
use rognito_ops::RateMeter;
use rognito_ops::provisioned_limits::category_names;
use rognito_store::{Change, ChangeListener, Store, StoreError};

/// Cognito allows at most this rate for one resource operation on one user pool.
const PER_POOL_OPERATION_RPS: u32 = 5;

/// A token bucket holding one second's worth of requests.
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// `rate` in requests per second (a node's share may be a fraction); the bucket holds at
    /// least one request, so a share below 1 per second still lets one through now and then.
    fn take(&mut self, rate: f64, now: Instant) -> bool {
        let rate = rate.max(f64::MIN_POSITIVE);
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(rate.max(1.0));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The limiter: token buckets per (account, category) and per (account, pool, operation).
pub struct RateLimits {
    enabled: bool,
    /// Category → default rate (AWS's, or the configured override).
    defaults: HashMap<ApiCategory, u32>,
    /// Account → category → rate raised with UpdateProvisionedLimit (by account first, so a
    /// request's `&str` account looks it up without allocating).
    provisioned: Mutex<HashMap<AccountId, HashMap<ApiCategory, u32>>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Where provisioned rates are reloaded from when the change feed loses track.
    source: Mutex<Option<Reloader>>,
    /// The nodes sharing the store (1 until [`RateLimits::follow`]), among which every rate is
    /// divided.
    nodes: std::sync::OnceLock<Arc<std::sync::atomic::AtomicUsize>>,
}

#[derive(Clone)]
struct Reloader {
    runtime: tokio::runtime::Handle,
    store: Weak<dyn Store>,
    limits: Weak<RateLimits>,
}

impl RateLimits {
    /// `overrides` replace AWS's default rate of a category (requests per second).
    ///
    /// Errors: an unknown category name, or a rate of 0 (the text names both).
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
            source: Mutex::new(None),
            nodes: std::sync::OnceLock::new(),
        })
    }

    /// A limiter that lets everything through (rates still answer GetProvisionedLimit).
    pub fn disabled() -> Self {
        RateLimits {
            enabled: false,
            defaults: Self::aws_defaults(),
            provisioned: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            source: Mutex::new(None),
            nodes: std::sync::OnceLock::new(),
        }
    }

    /// Follows `store`'s provisioned rates: subscribes to its change feed, then loads the
    /// stored rates (a rate set in between is both loaded and delivered; the feed's later value
    /// wins).
    ///
    /// Errors: the store cannot be followed or read.
    pub async fn follow(self: &Arc<Self>, store: &Arc<dyn Store>) -> Result<(), StoreError> {
        if let Ok(mut source) = self.source.lock() {
            *source = Some(Reloader {
                runtime: tokio::runtime::Handle::current(),
                store: Arc::downgrade(store),
                limits: Arc::downgrade(self),
            });
        }
        let _ = self.nodes.set(store.live_nodes());
        store.subscribe(self.clone())?;
        self.load(store.as_ref()).await
    }

    async fn load(&self, store: &dyn Store) -> Result<(), StoreError> {
        for (account, category, rate) in store.provisioned_limits().await? {
            if let Some(category) = ApiCategory::from_name(&category) {
                self.set_provisioned(&account, category, rate);
            }
        }
        Ok(())
    }

    /// The feed lost track of what changed: read every stored rate again, in the background.
    fn reload_needed(&self) {
        let Some(Reloader {
            runtime,
            store,
            limits,
        }) = self.source.lock().ok().and_then(|s| s.clone())
        else {
            return;
        };
        runtime.spawn(async move {
            if let (Some(store), Some(limits)) = (store.upgrade(), limits.upgrade())
                && let Err(e) = limits.load(store.as_ref()).await
            {
                tracing::error!(error = %e, "cannot reload the provisioned rates");
            }
        });
    }

    /// Sets an account's provisioned rate for a category (from the store, or the change feed).
    fn set_provisioned(&self, account: &AccountId, category: ApiCategory, rate: u32) {
        if let Ok(mut provisioned) = self.provisioned.lock() {
            provisioned
                .entry(account.clone())
                .or_default()
                .insert(category, rate);
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
            .and_then(|p| p.get(account)?.get(&category).copied())
            .unwrap_or_else(|| self.defaults.get(&category).copied().unwrap_or(u32::MAX))
    }

    /// This node's share of `rate` (requests per second).
    fn share(&self, rate: u32) -> f64 {
        let nodes = self
            .nodes
            .get()
            .map_or(1, |n| n.load(std::sync::atomic::Ordering::Relaxed))
            .max(1);
        f64::from(rate.max(1)) / nodes as f64
    }

    fn take(&self, key: String, rate: u32) -> bool {
        let rate = self.share(rate);
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
                tokens: rate.max(1.0),
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

impl RateMeter for RateLimits {
    fn charge(&self, account: &str, category: ApiCategory) -> bool {
        self.allow_category(account, category)
    }
    fn rate(&self, account: &str, category: ApiCategory) -> u32 {
        RateLimits::rate(self, account, category)
    }
    fn default_rate(&self, category: ApiCategory) -> u32 {
        self.defaults
            .get(&category)
            .copied()
            .unwrap_or_else(|| category.default_rate())
    }
}

impl ChangeListener for RateLimits {
    fn apply(&self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::ProvisionedLimit {
                    account_id,
                    category,
                    value,
                } => {
                    if let Some(category) = ApiCategory::from_name(category) {
                        self.set_provisioned(account_id, category, *value);
                    }
                }
                Change::Everything => self.reload_needed(),
                _ => {}
            }
        }
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

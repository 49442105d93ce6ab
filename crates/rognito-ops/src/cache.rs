//! Read-through caches with explicit invalidation that can never resurrect stale data.
//!
//! A load that started before an invalidation must not store its (possibly stale) result: every
//! invalidation bumps a generation, and a loaded value is kept only if the generation is still
//! the one seen when the load began. Writers invalidate after their change is durable and before
//! they acknowledge it, so a read that follows an acknowledged write always sees that write.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub struct Cache<K, V> {
    entries: RwLock<HashMap<K, Arc<V>>>,
    generation: AtomicU64,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    /// A cache holding at most `capacity` entries (beyond that an arbitrary eighth is evicted).
    pub fn new(capacity: usize) -> Self {
        Cache {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            capacity,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.read().ok()?.get(key).cloned()
    }

    /// The cached value, or `load()`'s, which is cached unless an invalidation raced it.
    /// `Ok(None)` (nothing to load) is not cached. `key` may be borrowed (`&str` for an id key):
    /// it is owned only to store a loaded value.
    pub async fn get_or_load<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<Option<Arc<V>>, E>
    where
        K: Borrow<Q> + From<Q::Owned>,
        Q: Hash + Eq + ToOwned + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>, E>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(Some(hit));
        }
        let generation = self.generation();
        let Some(value) = load().await?.map(Arc::new) else {
            return Ok(None);
        };
        self.keep(generation, K::from(key.to_owned()), value.clone());
        Ok(Some(value))
    }

    /// Where the invalidations stand: take it before reading what [`Cache::keep`] will store.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `value`, read after [`Cache::generation`] said `generation`, unless an
    /// invalidation came since (the value may be stale).
    pub fn keep(&self, generation: u64, key: K, value: Arc<V>) {
        if let Ok(mut entries) = self.entries.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if entries.len() >= self.capacity {
                // HashMap order is arbitrary, so this drops an arbitrary eighth of the entries.
                let victims: Vec<K> = entries
                    .keys()
                    .take(self.capacity / 8 + 1)
                    .cloned()
                    .collect();
                for victim in &victims {
                    entries.remove::<K>(victim);
                }
            }
            entries.insert(key, value);
        }
    }

    pub fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.remove(key);
        }
    }

    /// Drops every entry (a feed that lost track: anything may have changed).
    pub fn invalidate_all(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_load_racing_an_invalidation_is_not_kept() {
        let cache: Cache<&str, u32> = Cache::new(10);
        let value = cache
            .get_or_load(&"k", || async {
                // A write lands and invalidates while this load is in flight.
                cache.invalidate(&"k");
                Ok::<_, ()>(Some(1))
            })
            .await
            .expect("load");
        assert_eq!(value.as_deref(), Some(&1));
        assert!(cache.get(&"k").is_none(), "stale value must not be cached");
        let value = cache
            .get_or_load(&"k", || async { Ok::<_, ()>(Some(2)) })
            .await
            .expect("load");
        assert_eq!(value.as_deref(), Some(&2));
        assert_eq!(cache.get(&"k").as_deref(), Some(&2));
    }

    #[tokio::test]
    async fn misses_are_not_cached_and_capacity_is_bounded() {
        let cache: Cache<u32, u32> = Cache::new(2);
        assert!(
            cache
                .get_or_load(&1, || async { Ok::<_, ()>(None) })
                .await
                .expect("load")
                .is_none()
        );
        for k in 0..5 {
            cache
                .get_or_load(&k, || async move { Ok::<_, ()>(Some(k)) })
                .await
                .expect("load");
        }
        assert!(cache.entries.read().expect("lock").len() <= 2);
    }
}

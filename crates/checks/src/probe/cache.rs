//! Name lookups shared by every probe of an agent, cached for a short time.
//!
//! Without it each check resolves its host again: three checks of one site due together cost
//! three lookups, and a real resolver (or glibc scanning a long `/etc/hosts`) pays for each.
//! So the addresses of a name (both families: the IPv4 and IPv6 clients share them) are kept
//! for a short TTL, and checks of a name being looked up wait for that lookup rather than
//! start their own.
//!
//! Failures are never kept: the next check asks again, so the end of a DNS outage shows at
//! once. The cache is bounded: when full, expired entries go first, then arbitrary ones (a
//! lost entry only costs one more lookup).
//!
//! The lookup itself is a [`Lookup`]: the system resolver ([`SystemLookup`], getaddrinfo on
//! tokio's blocking pool, never on a worker thread), or one a test or an embedding supplies.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// How long the addresses of a name are kept (a probe option overrides it).
pub const DEFAULT_DNS_TTL: Duration = Duration::from_secs(60);
/// Names kept at most (a probe option overrides it): the 10,000 sites of a large deployment.
pub const DEFAULT_DNS_CACHE_NAMES: usize = 16_384;

/// What a lookup found: every address of the name (any family), or why there is none.
pub type Found = Result<Arc<[IpAddr]>, Arc<io::Error>>;

/// A future of a lookup.
pub type Lookingup = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Resolves a host name to all its addresses, whatever their family.
pub trait Lookup: Send + Sync + 'static {
    /// The addresses of `host`, in the resolver's order.
    fn lookup(&self, host: &str) -> Lookingup;
}

/// The system resolver (getaddrinfo, so `/etc/hosts` and `nsswitch.conf` apply), run on
/// tokio's blocking pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> Lookingup {
        let host = host.to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(found.map(|a| a.ip()).collect())
        })
    }
}

/// One lookup's answer and when it came.
#[derive(Debug)]
struct Answer {
    at: Instant,
    found: Found,
}

/// The lookup of a name: in flight (empty) or answered.
type Slot = Arc<OnceCell<Answer>>;

/// Lookups with their answers kept for `ttl`; shared by all the clients of a probe.
pub struct DnsCache {
    lookup: Arc<dyn Lookup>,
    ttl: Duration,
    capacity: usize,
    names: Mutex<HashMap<String, Slot>>,
}

impl fmt::Debug for DnsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl DnsCache {
    /// A cache in front of `lookup` keeping answers `ttl` (zero: lookups in flight are still
    /// shared, answers are not kept) for at most `capacity` names.
    pub fn new(lookup: Arc<dyn Lookup>, ttl: Duration, capacity: usize) -> DnsCache {
        DnsCache {
            lookup,
            ttl,
            capacity: capacity.max(1),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// The addresses of `host`: kept ones if still fresh, else those of a lookup (joining
    /// one already in flight for the same name).
    ///
    /// # Errors
    /// When the lookup fails (that failure is not kept).
    pub async fn resolve(&self, host: &str) -> Found {
        let slot = self.slot(host, false);
        self.answer(&slot, host).await
    }

    /// Like [`resolve`](Self::resolve), but always asks the resolver (what a DNS check
    /// measures); the answer then serves the other checks of the name.
    ///
    /// # Errors
    /// When the lookup fails.
    pub async fn refresh(&self, host: &str) -> Found {
        let slot = self.slot(host, true);
        self.answer(&slot, host).await
    }

    async fn answer(&self, slot: &Slot, host: &str) -> Found {
        let answer = slot
            .get_or_init(|| async {
                let found = self.lookup.lookup(host).await;
                Answer {
                    at: Instant::now(),
                    found: found.map(Arc::from).map_err(Arc::new),
                }
            })
            .await;
        answer.found.clone()
    }

    /// The slot to wait on for `host`: the kept one while it is usable, else a new one.
    fn slot(&self, host: &str, fresh: bool) -> Slot {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = names.get(host)
            && !fresh
            && self.is_usable(slot)
        {
            return slot.clone();
        }
        if names.len() >= self.capacity && !names.contains_key(host) {
            self.make_room(&mut names);
        }
        let slot = Slot::default();
        names.insert(host.to_owned(), slot.clone());
        slot
    }

    /// In flight (join it), or a success younger than the TTL.
    fn is_usable(&self, slot: &Slot) -> bool {
        slot.get()
            .is_none_or(|a| a.found.is_ok() && a.at.elapsed() < self.ttl)
    }

    /// Drops stale entries, then arbitrary ones down to 7/8 of the capacity, so that a full
    /// cache is not scanned again at the next insert.
    fn make_room(&self, names: &mut HashMap<String, Slot>) {
        names.retain(|_, slot| self.is_usable(slot));
        let target = self.capacity - self.capacity / 8;
        let excess = (names.len() + 1).saturating_sub(target);
        let victims: Vec<String> = names.keys().take(excess).cloned().collect();
        for name in victims {
            names.remove(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers 192.0.2.1 for every name after `delay`, counting calls.
    #[derive(Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    impl Lookup for Arc<Counting> {
        fn lookup(&self, _host: &str) -> Lookingup {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(vec![IpAddr::from([192, 0, 2, 1])])
            })
        }
    }

    #[tokio::test]
    async fn concurrent_lookups_of_a_name_share_one() {
        let counting = Arc::new(Counting::default());
        let cache = DnsCache::new(Arc::new(counting.clone()), Duration::ZERO, 10);
        let (a, b) = tokio::join!(cache.resolve("a.test"), cache.resolve("a.test"));
        assert_eq!(a.unwrap(), b.unwrap());
        assert_eq!(counting.calls.load(Ordering::SeqCst), 1);
        // A TTL of zero keeps nothing once answered.
        cache.resolve("a.test").await.unwrap();
        assert_eq!(counting.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_cache_stays_bounded() {
        let counting = Arc::new(Counting::default());
        let cache = DnsCache::new(Arc::new(counting.clone()), DEFAULT_DNS_TTL, 16);
        for i in 0..100 {
            cache.resolve(&format!("n{i}.test")).await.unwrap();
        }
        let kept = cache.names.lock().unwrap().len();
        assert!(kept <= 16, "{kept} names kept");
        // The newest name is still there.
        cache.resolve("n99.test").await.unwrap();
        assert_eq!(counting.calls.load(Ordering::SeqCst), 100);
    }
}

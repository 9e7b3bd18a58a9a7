//! The decision cache: verification results kept in memory so warm decisions touch
//! neither the network nor the disk.
//!
//! - A result is kept until the earliest of: now + the TTL (`--cache-ttl`, default
//!   60 s), and the earliest expiry among the metadata it rests on. `--cache-ttl 0`
//!   keeps nothing.
//! - "Not signed" and verification failures are kept for the TTL too (a flood of pulls
//!   of an unsigned image does not hammer the trust server); network and I/O failures
//!   are never kept. Results from expired cached data (the server unreachable, with
//!   `allow-expired-cached-trust-data`) are kept for the TTL.
//! - Cold lookups are single-flight: while one thread verifies a reference, the
//!   others asking for the same reference wait and take its result (also with
//!   `--cache-ttl 0`, where nothing is kept afterwards). Verifications of one
//!   repository run one at a time, so two threads never update trust-core's on-disk
//!   cache of one repository at once.
//! - At most [`MAX_ENTRIES`] results; past that, expired ones are dropped, then the
//!   whole map. [`CachingVerifier::clear`] empties it (policy reloads).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::verify::{Failure, Query, Verification, Verifier};

/// Most results kept.
pub const MAX_ENTRIES: usize = 65_536;

struct Entry {
    result: Result<Verification, Failure>,
    until: Instant,
}

/// One verification in progress, and its result once there.
#[derive(Default)]
struct Flight {
    result: Mutex<Option<Result<Verification, Failure>>>,
    done: Condvar,
}

impl Flight {
    /// Publishes the result to every waiter.
    fn land(&self, result: Result<Verification, Failure>) {
        *lock(&self.result) = Some(result);
        self.done.notify_all();
    }

    /// Waits for the result.
    fn wait(&self) -> Result<Verification, Failure> {
        let mut guard = lock(&self.result);
        loop {
            if let Some(result) = guard.as_ref() {
                return result.clone();
            }
            guard = self.done.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// Lands a flight with a failure if its leader never got to (a panic while verifying),
/// so that waiters are not left waiting.
struct Landing<'a>(&'a Flight);

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        if lock(&self.0.result).is_none() {
            self.0
                .land(Err(Failure { kind: trust_core::ErrorKind::Io, message: "verification did not finish".into() }));
        }
    }
}

/// A [`Verifier`] that caches another's results, shares verifications in progress,
/// and verifies one repository at a time.
pub struct CachingVerifier<V> {
    inner: V,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// Verifications in progress, by query key.
    flights: Mutex<HashMap<String, Arc<Flight>>>,
    /// One lock per repository, held while verifying.
    repositories: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl<V> std::fmt::Debug for CachingVerifier<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingVerifier").field("ttl", &self.ttl).finish()
    }
}

/// Where a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The cache.
    Cache,
    /// A verification made for this request (or by a concurrent request it waited for).
    Fresh,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep using it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<V: Verifier> CachingVerifier<V> {
    /// Caches `inner`'s results for at most `ttl`.
    pub fn new(inner: V, ttl: Duration) -> Self {
        CachingVerifier {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            repositories: Mutex::new(HashMap::new()),
        }
    }

    /// The wrapped verifier.
    pub fn inner(&self) -> &V {
        &self.inner
    }

    /// Forgets every result.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }

    /// How many results are kept.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cached(&self, key: &str) -> Option<Result<Verification, Failure>> {
        let entries = lock(&self.entries);
        let entry = entries.get(key).filter(|e| e.until > Instant::now())?;
        Some(entry.result.clone().map(|mut v| {
            v.from_cache = true;
            v
        }))
    }

    /// How long `result` may be kept.
    fn lifetime(&self, result: &Result<Verification, Failure>) -> Option<Duration> {
        if self.ttl.is_zero() {
            return None;
        }
        match result {
            Ok(v) if v.offline => Some(self.ttl),
            Ok(v) => match v.expires {
                Some(at) => (at - Utc::now()).to_std().ok().map(|left| left.min(self.ttl)),
                None => Some(self.ttl),
            },
            Err(f) if f.is_transient() => None,
            Err(_) => Some(self.ttl),
        }
    }

    fn store(&self, key: String, result: &Result<Verification, Failure>) {
        let Some(lifetime) = self.lifetime(result).filter(|d| !d.is_zero()) else { return };
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, Entry { result: result.clone(), until: now + lifetime });
    }

    /// Verifies `query`, from the cache when possible, and says where the answer came from.
    pub fn verify_traced(&self, query: &Query) -> (Result<Verification, Failure>, Source) {
        let key = query.key();
        if let Some(hit) = self.cached(&key) {
            return (hit, Source::Cache);
        }
        let (flight, leader) = {
            let mut flights = lock(&self.flights);
            match flights.get(&key) {
                Some(flight) => (Arc::clone(flight), false),
                None => {
                    let flight = Arc::new(Flight::default());
                    flights.insert(key.clone(), Arc::clone(&flight));
                    (flight, true)
                }
            }
        };
        if !leader {
            return (flight.wait(), Source::Fresh);
        }
        let landing = Landing(&flight);
        let result = self.verify_alone(query, &key);
        flight.land(result.clone());
        drop(landing);
        lock(&self.flights).remove(&key);
        (result, Source::Fresh)
    }

    /// Verifies `query` while holding its repository's lock, and keeps the result.
    fn verify_alone(&self, query: &Query, key: &str) -> Result<Verification, Failure> {
        let gun = query.reference.gun();
        let repository = Arc::clone(lock(&self.repositories).entry(gun.clone()).or_default());
        let result = {
            let _one_at_a_time = lock(&repository);
            match self.cached(key) {
                Some(hit) => hit,
                None => {
                    let result = self.inner.verify(query);
                    self.store(key.to_owned(), &result);
                    result
                }
            }
        };
        // Drop the repository's lock once no one else holds or waits for it.
        let mut repositories = lock(&self.repositories);
        if Arc::strong_count(&repository) == 2 {
            repositories.remove(&gun);
        }
        result
    }
}

impl<V: Verifier> Verifier for CachingVerifier<V> {
    fn verify(&self, query: &Query) -> Result<Verification, Failure> {
        self.verify_traced(query).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use trust_core::ErrorKind;
    use trust_core::pinning::Pin;
    use trust_core::reference::Reference;

    struct Slow {
        calls: AtomicUsize,
        answer: Result<Verification, Failure>,
    }

    impl Verifier for Slow {
        fn verify(&self, _: &Query) -> Result<Verification, Failure> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            self.answer.clone()
        }
    }

    fn query(r: &str) -> Query {
        Query {
            reference: Reference::parse(r).unwrap(),
            server: None,
            pin: Pin::Tofu,
            allow_expired: false,
            bundle: None,
        }
    }

    fn ok(expires_in: i64) -> Result<Verification, Failure> {
        Ok(Verification {
            gun: "a.io/x".into(),
            server: "https://a.io".into(),
            releases: vec![],
            expires: Some(Utc::now() + chrono::Duration::seconds(expires_in)),
            offline: false,
            warnings: vec![],
            from_cache: false,
        })
    }

    fn slow(answer: Result<Verification, Failure>) -> Slow {
        Slow { calls: AtomicUsize::new(0), answer }
    }

    /// Verifies `a.io/x:v1` from 8 threads at once; true when every lookup succeeded.
    fn verify_from_8_threads(cache: &Arc<CachingVerifier<Slow>>) -> bool {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let c = Arc::clone(cache);
                std::thread::spawn(move || c.verify(&query("a.io/x:v1")).is_ok())
            })
            .collect();
        threads.into_iter().all(|t| t.join().unwrap())
    }

    #[test]
    fn concurrent_cold_lookups_verify_once() {
        let cache = Arc::new(CachingVerifier::new(slow(ok(3600)), Duration::from_secs(60)));
        assert!(verify_from_8_threads(&cache), "every lookup succeeded");
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.verify_traced(&query("a.io/x:v1")).1, Source::Cache);
        assert!(lock(&cache.flights).is_empty());
    }

    #[test]
    fn concurrent_lookups_share_one_verification_even_with_the_cache_off() {
        let cache = Arc::new(CachingVerifier::new(slow(ok(3600)), Duration::ZERO));
        assert!(verify_from_8_threads(&cache), "every lookup succeeded");
        assert!(cache.inner().calls.load(Ordering::SeqCst) < 8, "waiters took the leader's result");
        assert!(cache.is_empty(), "ttl 0 keeps nothing");
        assert!(lock(&cache.flights).is_empty() && lock(&cache.repositories).is_empty());
    }

    #[test]
    fn bounded_by_ttl_and_expiry() {
        let cache = CachingVerifier::new(slow(ok(3600)), Duration::ZERO);
        cache.verify(&query("a.io/x:v1")).unwrap();
        cache.verify(&query("a.io/x:v1")).unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2, "ttl 0 keeps nothing");

        let cache = CachingVerifier::new(slow(ok(-5)), Duration::from_secs(60));
        let _ = cache.verify(&query("a.io/x:v1"));
        assert!(cache.is_empty(), "already expired metadata is not kept");

        let cache = CachingVerifier::new(slow(ok(3600)), Duration::from_secs(60));
        let lifetime = cache.lifetime(&ok(10)).unwrap();
        assert!(lifetime <= Duration::from_secs(10) && lifetime > Duration::from_secs(8));
        assert_eq!(cache.lifetime(&ok(3600)), Some(Duration::from_secs(60)));
    }

    #[test]
    fn transient_failures_are_not_kept() {
        let net = Failure { kind: ErrorKind::Network, message: "down".into() };
        let cache = CachingVerifier::new(slow(Err(net)), Duration::from_secs(60));
        let _ = cache.verify(&query("a.io/x:v1"));
        assert!(cache.is_empty());
        let cache = CachingVerifier::new(slow(Err(Failure::not_signed("no"))), Duration::from_secs(60));
        let _ = cache.verify(&query("a.io/x:v1"));
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert!(cache.is_empty());
    }
}

//! A bounded, expiring cache of `find_proxy` answers.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use super::trace::Branch;
use super::PacResult;

/// How many [`PacScript::find_proxy`](super::PacScript::find_proxy) answers
/// a script keeps, and for how long.
///
/// Answers are keyed by the origin the script is given
/// (`scheme://host[:port]/`, that is scheme, host and port), which is all
/// that `find_proxy` passes, so a kept answer is the one the script would
/// give again, unless its answer depends on the time or on name resolution
/// (`timeRange`, `dateRange`, `weekdayRange`, `dnsResolve`, `isInNet`...)
/// or on state it keeps: hence the time to live. Errors are never kept,
/// nor result strings longer than 8 KiB.
/// When the cache is full, expired answers are dropped first, then the
/// oldest one (to within the clock's tick, below). [`PacScript::call`](super::PacScript::call) is never cached.
///
/// Ages are read from the script's [`Clock`](super::Clock); with a time to
/// live of 10 s or more, from its [`now_coarse`](super::Clock::now_coarse),
/// which for [`SystemClock`](super::SystemClock) is a value a thread of the
/// crate refreshes every 200 ms while the cache is read (it stops after
/// 10 s unread): an answer may be kept up to a tick past its time to live,
/// and a hit costs no system call. A hit allocates nothing.
///
/// The default keeps 1024 answers for 5 minutes.
///
/// ```
/// use std::time::Duration;
/// use proxyroute::pac::{PacCache, PacScript};
/// let script = PacScript::new("function FindProxyForURL(u, h) { return 'DIRECT'; }")?
///     .with_cache(PacCache::new(256, Duration::from_secs(60)));
/// let target = "https://example.com/".parse()?;
/// assert!(!script.find_proxy_traced(&target)?.is_cached());
/// assert!(script.find_proxy_traced(&target)?.is_cached());
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacCache {
    entries: usize,
    ttl: Duration,
}

impl PacCache {
    /// Keeps up to `entries` answers (0 turns the cache off), each for `ttl`.
    #[must_use]
    pub const fn new(entries: usize, ttl: Duration) -> Self {
        PacCache { entries, ttl }
    }

    /// No cache: every `find_proxy` runs the script.
    #[must_use]
    pub const fn off() -> Self {
        PacCache::new(0, Duration::ZERO)
    }

    /// How many answers are kept at most.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// How long an answer is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn is_off(&self) -> bool {
        self.entries == 0 || self.ttl.is_zero()
    }
}

impl Default for PacCache {
    fn default() -> Self {
        PacCache::new(1024, Duration::from_secs(5 * 60))
    }
}

/// The parts of an origin a cache entry is keyed by, borrowed from the
/// target: scheme, host, and the port when it is not the scheme's default.
#[derive(Clone, Copy)]
pub(super) struct OriginKey<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
}

impl<'a> OriginKey<'a> {
    pub(super) fn of(target: &'a crate::Target) -> Self {
        OriginKey {
            scheme: target.scheme(),
            host: target.host(),
            port: target.port().filter(|_| target.has_explicit_port()),
        }
    }

    /// A keyed hash of the parts (the key is random per cache, so that
    /// hosts cannot be chosen to collide): words read straight from the
    /// bytes, with no copying, as a lookup is on the hot path.
    #[inline]
    fn hash(&self, seed: u64) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mix = |h: u64, word: u64| (h.rotate_left(23) ^ word).wrapping_mul(K);
        let bytes = |mut h: u64, b: &[u8]| {
            let mut chunks = b.chunks_exact(8);
            for chunk in &mut chunks {
                h = mix(h, u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
            }
            mix(h, short(chunks.remainder()) ^ (b.len() as u64) << 56)
        };
        let port = self.port.map_or(0, |p| 0x1_0000 | u64::from(p));
        let h = bytes(mix(seed, port), self.scheme.as_bytes());
        let h = bytes(h, self.host.as_bytes());
        h ^ (h >> 29)
    }

    fn owned(&self) -> Owned {
        Owned {
            scheme: self.scheme.into(),
            host: self.host.into(),
            port: self.port,
        }
    }
}

/// Up to 7 bytes as one word, without copying: two overlapping 4-byte reads,
/// or the first, middle and last byte.
#[inline]
fn short(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        u64::from(lo) | u64::from(hi) << 32
    } else if n > 0 {
        u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16
    } else {
        0
    }
}

/// An [`OriginKey`], owned by a cache entry.
#[derive(Debug)]
struct Owned {
    scheme: Box<str>,
    host: Box<str>,
    port: Option<u16>,
}

impl Owned {
    fn is(&self, key: &OriginKey<'_>) -> bool {
        *self.scheme == *key.scheme && *self.host == *key.host && self.port == key.port
    }
}

/// A kept answer, the origin it is for, and when it was stored.
#[derive(Debug)]
pub(super) struct Kept<T> {
    origin: Owned,
    pub(super) value: T,
    stored: SystemTime,
    /// `stored` plus the time to live.
    expires: SystemTime,
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Entries are boxed: the table holds a key and a pointer per bucket, so
/// its growth (hashbrown doubles it once when evictions leave it full of
/// tombstones) costs 16 bytes a bucket, and the memory held stays close to
/// the entries kept.
type Map<T> = HashMap<u64, Box<Kept<T>>, std::hash::BuildHasherDefault<Identity>>;

/// The cache itself, keyed by origin. A lookup builds no key: it hashes
/// the target's parts and compares them with the entry's.
#[derive(Debug)]
pub(super) struct Cache<T> {
    config: PacCache,
    seed: u64,
    map: RwLock<Map<T>>,
}

impl<T: Clone> Cache<T> {
    pub(super) fn new(config: PacCache) -> Self {
        use std::hash::BuildHasher;
        Cache {
            config,
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64),
            map: RwLock::new(Map::default()),
        }
    }

    pub(super) fn config(&self) -> PacCache {
        self.config
    }

    fn lock(&self) -> RwLockWriteGuard<'_, Map<T>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }

    #[inline]
    fn fresh(&self, kept: &Kept<T>, now: SystemTime) -> bool {
        // A clock that went back counts as expired.
        now >= kept.stored && now < kept.expires
    }

    /// What `read` makes of the answer kept for `key`, if it is still
    /// fresh at `now`; allocates nothing.
    pub(super) fn with<R>(
        &self,
        key: &OriginKey<'_>,
        now: impl FnOnce() -> SystemTime,
        read: impl FnOnce(&T) -> R,
    ) -> Option<R> {
        if self.config.is_off() {
            return None;
        }
        let hash = key.hash(self.seed);
        let now = {
            // Readers share the lock: concurrent hits do not wait on each other.
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            let kept = map.get(&hash).filter(|kept| kept.origin.is(key))?;
            let now = now();
            if self.fresh(kept, now) {
                return Some(read(&kept.value));
            }
            now
        };
        // Expired: dropped, unless another caller kept a fresh one meanwhile.
        let mut map = self.lock();
        if map
            .get(&hash)
            .is_some_and(|kept| kept.origin.is(key) && !self.fresh(kept, now))
        {
            map.remove(&hash);
        }
        None
    }

    /// Keeps `value` for `key`, making room if needed.
    pub(super) fn put(&self, key: &OriginKey<'_>, value: T, now: SystemTime) {
        if self.config.is_off() {
            return;
        }
        let hash = key.hash(self.seed);
        let mut map = self.lock();
        if map.len() >= self.config.entries && !map.contains_key(&hash) {
            map.retain(|_, kept| self.fresh(kept, now));
            if map.len() >= self.config.entries {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, kept)| kept.stored)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    map.remove(&oldest);
                }
            }
        }
        // A colliding origin replaces the entry: it is a cache.
        map.insert(
            hash,
            Box::new(Kept {
                origin: key.owned(),
                value,
                stored: now,
                expires: now.checked_add(self.config.ttl).unwrap_or(now),
            }),
        );
    }

    pub(super) fn clear(&self) {
        self.lock().clear();
    }
}

/// What [`PacScript::find_proxy_traced`](super::PacScript::find_proxy_traced)
/// says: the result, the string the script returned, whether the answer
/// came from the cache, and which `return` produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacAnswer {
    pub(super) result: PacResult,
    pub(super) raw: String,
    pub(super) cached: bool,
    pub(super) branch: Option<Branch>,
}

impl PacAnswer {
    /// The result, read as browsers read it.
    pub fn result(&self) -> &PacResult {
        &self.result
    }

    /// The result, by value.
    pub fn into_result(self) -> PacResult {
        self.result
    }

    /// The string the script returned, as is.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether the answer came from the cache rather than from running the
    /// script now.
    pub fn is_cached(&self) -> bool {
        self.cached
    }

    /// The `return` statement of `FindProxyForURL` that produced the
    /// answer, when the script could be instrumented to tell (see
    /// [`PacScript::find_proxy_traced`](super::PacScript::find_proxy_traced)).
    pub fn branch(&self) -> Option<&Branch> {
        self.branch.as_ref()
    }

    pub(crate) fn with_branch(mut self, branch: Option<Branch>) -> Self {
        self.branch = branch;
        self
    }
}

//! A bounded, expiring cache of `find_proxy` answers.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
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
/// oldest one. [`PacScript::call`](super::PacScript::call) is never cached.
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

/// A kept answer: the script's string and what it means.
#[derive(Debug, Clone)]
pub(super) struct Kept<T> {
    pub(super) value: T,
    stored: SystemTime,
}

/// The cache itself, keyed by origin.
#[derive(Debug)]
pub(super) struct Cache<T> {
    config: PacCache,
    map: Mutex<HashMap<String, Kept<T>>>,
}

impl<T: Clone> Cache<T> {
    pub(super) fn new(config: PacCache) -> Self {
        Cache {
            config,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn config(&self) -> PacCache {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Kept<T>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, kept: &Kept<T>, now: SystemTime) -> bool {
        // A clock that went back counts as expired.
        now.duration_since(kept.stored)
            .is_ok_and(|age| age < self.config.ttl)
    }

    /// The answer kept for `origin`, if it is still fresh at `now`.
    pub(super) fn get(&self, origin: &str, now: SystemTime) -> Option<T> {
        if self.config.is_off() {
            return None;
        }
        let mut map = self.lock();
        let kept = map.get(origin)?;
        if self.fresh(kept, now) {
            return Some(kept.value.clone());
        }
        map.remove(origin);
        None
    }

    /// Keeps `value` for `origin`, making room if needed.
    pub(super) fn put(&self, origin: String, value: T, now: SystemTime) {
        if self.config.is_off() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= self.config.entries && !map.contains_key(&origin) {
            map.retain(|_, kept| self.fresh(kept, now));
            if map.len() >= self.config.entries {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, kept)| kept.stored)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(origin, Kept { value, stored: now });
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

//! [`SharedResolver`]: one [`Resolver`] shared by every thread of a program,
//! replaced as a whole when its configuration changes.
//!
//! A long-running program builds its resolver once and hands clones of the
//! handle to its threads. When the settings change (a watcher sees it, see
//! the `watch` feature, or the program knows it), a new resolver is built and
//! [`store`](SharedResolver::store)d; readers see the old one or the new one,
//! never a mixture, and never wait for a lock.
//!
//! # Reading
//!
//! [`Resolver::resolve`] returns a [`Route`](crate::Route) that borrows from
//! the resolver, so the shared handle cannot return a route by itself: a
//! swap could drop the resolver under it. [`SharedResolver::load`] returns a
//! [`ResolverGuard`] that keeps the current resolver alive; resolve against
//! the guard, and drop the guard when the routes are used. Loading is one
//! atomic read and no allocation (the `arc-swap` crate's lock-free load), so
//! `shared.load().resolve(&target)` keeps `resolve`'s zero-allocation
//! contract for every layer that had it. A guard is meant to be short-lived:
//! keep it for a request, not for the life of a connection pool; for that,
//! [`snapshot`](SharedResolver::snapshot) gives an owned `Arc<Resolver>`.
//!
//! ```
//! use proxyroute::{Resolver, SharedResolver, Target};
//! let shared = SharedResolver::new(Resolver::builder().proxy("http://old-proxy:3128").build()?);
//! let target = Target::parse("https://example.com/")?;
//!
//! let worker = shared.clone(); // cheap: one reference count
//! let before = worker.load();
//! assert_eq!(before.resolve(&target).to_string(), "http://old-proxy:3128");
//!
//! // The settings changed: swap in a resolver built from the new ones.
//! shared.store(Resolver::builder().proxy("http://new-proxy:3128").build()?);
//! assert_eq!(worker.load().resolve(&target).to_string(), "http://new-proxy:3128");
//! // A guard taken before the swap still answers from the old resolver.
//! assert_eq!(before.resolve(&target).to_string(), "http://old-proxy:3128");
//! assert_eq!((before.generation(), worker.generation()), (0, 1));
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Why `arc-swap`
//!
//! The crate forbids `unsafe` code, and an atomically replaceable `Arc` that
//! readers load without a lock cannot be written in safe Rust: a
//! `RwLock<Arc<Resolver>>` makes every reader take a lock (and a writer
//! waits for every reader), a `Mutex` serialises the readers. `arc-swap`
//! is small (its only dependency is the `rustversion` build-time macro),
//! widely used and maintained, and gives a wait-free, allocation-free load,
//! so it is a dependency of the crate itself, not of a feature.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::{Decision, RequestProxy, Resolver, Target};

/// The resolver in place, and how many swaps came before it.
struct Current {
    resolver: Arc<Resolver>,
    generation: u64,
}

/// A [`Resolver`] shared between threads and replaced atomically: cheap to
/// clone, `Send + Sync`, read without locks. See the [module](self) docs.
#[derive(Clone)]
pub struct SharedResolver {
    current: Arc<ArcSwap<Current>>,
}

impl fmt::Debug for SharedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.current.load();
        f.debug_struct("SharedResolver")
            .field("generation", &current.generation)
            .field("resolver", &current.resolver)
            .finish()
    }
}

impl SharedResolver {
    /// Shares `resolver` (generation 0).
    pub fn new(resolver: Resolver) -> Self {
        SharedResolver::from_arc(Arc::new(resolver))
    }

    /// Shares a resolver already behind an `Arc`.
    pub fn from_arc(resolver: Arc<Resolver>) -> Self {
        SharedResolver {
            current: Arc::new(ArcSwap::from_pointee(Current {
                resolver,
                generation: 0,
            })),
        }
    }

    /// The current resolver, kept alive while the guard lives: resolve
    /// against it. Lock-free and allocation-free.
    ///
    /// ```
    /// # use proxyroute::{Resolver, SharedResolver, Target};
    /// let shared = SharedResolver::new(Resolver::builder().proxy("http://proxy:3128").build()?);
    /// let resolver = shared.load();
    /// let route = resolver.resolve(&Target::parse("http://example.com/")?);
    /// assert_eq!(route.to_string(), "http://proxy:3128");
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    #[must_use]
    pub fn load(&self) -> ResolverGuard {
        ResolverGuard {
            guard: self.current.load(),
        }
    }

    /// The current resolver as an owned `Arc`, for holding longer than a
    /// request (one reference count; no allocation).
    #[must_use]
    pub fn snapshot(&self) -> Arc<Resolver> {
        Arc::clone(&self.current.load().resolver)
    }

    /// How many times a resolver was stored since this one was shared (0
    /// for the first).
    pub fn generation(&self) -> u64 {
        self.current.load().generation
    }

    /// Where `target` goes, and why, by the current resolver. (A
    /// [`Decision`] owns its data, so no guard is needed.)
    pub fn explain(&self, target: &Target) -> Decision {
        self.current.load().resolver.explain(target)
    }

    /// Where `target` goes with the request's own setting, and why.
    pub fn explain_with(&self, target: &Target, request: &RequestProxy) -> Decision {
        self.current.load().resolver.explain_with(target, request)
    }

    /// Replaces the resolver; readers that load after this see the new one,
    /// guards taken before keep the old one alive. Returns the old one.
    pub fn store(&self, resolver: Resolver) -> Arc<Resolver> {
        self.store_arc(Arc::new(resolver))
    }

    /// [`store`](SharedResolver::store) for a resolver already behind an `Arc`.
    pub fn store_arc(&self, resolver: Arc<Resolver>) -> Arc<Resolver> {
        let old = self.current.rcu(|current| Current {
            resolver: Arc::clone(&resolver),
            generation: current.generation + 1,
        });
        Arc::clone(&old.resolver)
    }
}

/// The resolver a [`SharedResolver`] held when it was loaded. It dereferences
/// to [`Resolver`]; routes borrow from the guard.
pub struct ResolverGuard {
    guard: arc_swap::Guard<Arc<Current>>,
}

impl ResolverGuard {
    /// The generation of this resolver (0 for the first one shared).
    pub fn generation(&self) -> u64 {
        self.guard.generation
    }

    /// This resolver as an owned `Arc`.
    pub fn to_arc(&self) -> Arc<Resolver> {
        Arc::clone(&self.guard.resolver)
    }
}

impl Deref for ResolverGuard {
    type Target = Resolver;

    fn deref(&self) -> &Resolver {
        &self.guard.resolver
    }
}

impl fmt::Debug for ResolverGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolverGuard")
            .field("generation", &self.guard.generation)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn shared_resolver_is_send_sync_and_clone() {
        assert_send_sync::<SharedResolver>();
    }

    #[test]
    fn store_returns_the_old_resolver_and_counts_generations() {
        let a = Resolver::builder().proxy("http://a:1").build().unwrap();
        let b = Resolver::builder().proxy("http://b:2").build().unwrap();
        let shared = SharedResolver::new(a);
        let target = Target::parse("http://x/").unwrap();
        let old = shared.store(b);
        assert_eq!(old.resolve(&target).to_string(), "http://a:1");
        assert_eq!(shared.generation(), 1);
        assert_eq!(shared.snapshot().resolve(&target).to_string(), "http://b:2");
        assert_eq!(shared.explain(&target).route().to_string(), "http://b:2");
        let clone = shared.clone();
        clone.store_arc(old);
        assert_eq!(shared.load().resolve(&target).to_string(), "http://a:1");
        assert_eq!(shared.load().generation(), 2);
    }
}

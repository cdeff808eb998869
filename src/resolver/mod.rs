//! [`Resolver`]: the compiled configuration, and [`ResolverBuilder`].
//!
//! Layers, first configured one deciding:
//!
//! 1. the request's own setting ([`RequestProxy`]), passed per call;
//! 2. the custom layer, in this order:
//!    - Postman proxy configs ([`ResolverBuilder::postman_configs`]): the
//!      first enabled config that applies decides; none applying passes the
//!      request on;
//!    - custom proxies: one for every scheme or one per scheme, optionally
//!      limited to chosen request schemes, with their own bypass list and
//!      credentials; a request whose scheme they do not serve passes on;
//!    - a configured PAC script (`ResolverBuilder::pac`, feature `pac`),
//!      which answers every request that reaches it;
//! 3. the system proxy settings ([`ResolverBuilder::system`]: GNOME, KDE,
//!    sysconfig, Windows, macOS), below the environment, or above it with
//!    [`ResolverBuilder::system_first`]; in auto-config or auto-detect mode
//!    their PAC script (fetched by `Resolver::load`, feature `pac`) decides;
//! 4. the environment, read under the [`Dialect`];
//! 5. nothing configured: DIRECT.
//!
//! Where the dialect says so (curl), the environment's no-proxy list also
//! applies to custom proxies unless they have a bypass list of their own.

use std::ffi::OsStr;
use std::fmt;

use crate::bypass::{BypassHit, BypassList, BypassMatcher, ImplicitBypass};
use crate::decision::{Decision, HopBuf, Layer, MatchedRule, Provenance};
use crate::dialect::Dialect;
use crate::env::EnvProxies;
use crate::error::{Error, Origin, Result, Violation};
use crate::postman::{ProxyConfig, ProxyConfigList};
use crate::proxy::{Credentials, Proxy};
use crate::proxy_rules::ProxyRules;
use crate::route::Route;
use crate::system::SystemProxies;
use crate::target::{Target, KNOWN_SCHEME_COUNT, SCHEME_HTTP};

#[cfg(feature = "pac")]
use crate::pac::{layer::PacLayer, PacScript};
#[cfg(feature = "pac")]
use std::sync::Arc;

mod builder;
mod explain;
mod layers;
mod verdict;

pub use builder::{IntoProxy, IntoProxyRules, ResolverBuilder};
#[cfg(feature = "pac")]
use layers::system_pac_layer;
use layers::{CustomLayer, EnvLayer, SystemLayer};
use verdict::Verdict;

/// A request's own proxy setting, which overrides every configured layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestProxy {
    /// Connect directly.
    Direct,
    /// Use this proxy.
    Proxy(Proxy),
}

/// The compiled proxy configuration: built once, shared freely (`Send + Sync`),
/// asked for every request.
///
/// [`resolve`](Resolver::resolve) is the hot path: it allocates nothing and its
/// cost does not grow with the bypass list. [`explain`](Resolver::explain) gives
/// the same route with the reason.
///
/// ```
/// use proxyroute::{Dialect, Resolver, Target};
/// let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*.internal")];
/// let resolver = Resolver::from_env_with(Dialect::Go, proxyroute::env::lookup_in(&vars));
/// let target: Target = "https://api.example.com/v1".parse()?;
/// assert_eq!(resolver.resolve(&target).to_string(), "http://proxy:3128");
/// let why = resolver.explain(&"https://db.internal/".parse()?);
/// assert!(why.route().is_direct());
/// assert_eq!(why.source(), "env:NO_PROXY");
/// assert_eq!(why.rule().unwrap().text(), "*.internal");
/// // Go never proxies loopback addresses.
/// assert!(resolver.resolve(&"https://127.0.0.1:8443/".parse()?).is_direct());
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resolver {
    dialect: Dialect,
    system: Option<SystemLayer>,
    system_first: bool,
    postman: Option<ProxyConfigList>,
    custom: Option<CustomLayer>,
    #[cfg(feature = "pac")]
    pac: Option<Arc<PacLayer>>,
    env: Option<EnvLayer>,
    violations: Vec<Violation>,
}

impl Resolver {
    /// A builder, with no layer configured and the curl dialect.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder::new()
    }

    /// The process environment under the default dialect (curl).
    pub fn from_env() -> Self {
        let dialect = Dialect::default();
        Resolver::builder()
            .dialect(dialect)
            .env_proxies(EnvProxies::from_env(dialect))
            .build()
            .expect("an environment-only configuration has no strict settings to fail")
    }

    /// The environment seen through `lookup`, under `dialect`.
    pub fn from_env_with<F, V>(dialect: Dialect, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<V>,
        V: AsRef<OsStr>,
    {
        Resolver::builder()
            .dialect(dialect)
            .env_proxies(EnvProxies::read(dialect, lookup))
            .build()
            .expect("an environment-only configuration has no strict settings to fail")
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Every problem met while reading the configuration.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The environment as read, if the environment layer is on.
    pub fn env(&self) -> Option<&EnvProxies> {
        self.env.as_ref().map(|e| &e.env)
    }

    /// Where `target` goes. Allocates nothing, except where a PAC script
    /// decides (feature `pac`): then the script (or its cache) is asked,
    /// and the route holds the answer's hops, shared with the cache. A PAC
    /// layer whose script is not loaded yet (`Resolver::load`, feature `pac`)
    /// gives a refused route saying so.
    #[must_use]
    pub fn resolve(&self, target: &Target) -> Route<'_> {
        self.verdict(target, None).route(target)
    }

    /// Fetches and loads the PAC scripts that the system settings name by
    /// URL or that WPAD finds (feature `pac`): the one step that touches the
    /// network, so that [`build`](ResolverBuilder::build) never does. It
    /// blocks for the fetch (the [`pac_fetcher`](ResolverBuilder::pac_fetcher)'s
    /// attempts, each within its timeout: by default up to 3 × 10 s plus
    /// 0.75 s of pauses) and the script's load budget
    /// ([`PacLimits::load`](crate::pac::PacLimits::load), 2 s); on an async
    /// runtime use [`load_async`](Resolver::load_async). Until it has run,
    /// those layers refuse their routes with an error saying the script is
    /// not loaded; after a failure, with the failure.
    ///
    /// Loading happens once: later calls (and clones of the resolver, which
    /// share the layers) return the first outcome at once. Without such a
    /// layer it does nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`](crate::ErrorKind::Pac): the script could not be
    /// fetched, found or loaded (the first such failure).
    #[cfg(feature = "pac")]
    pub fn load(&self) -> Result<()> {
        let mut first = Ok(());
        for layer in self.pac_layers() {
            if let Err(e) = layer.load() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// [`load`](Resolver::load) on a thread of its own, for callers on an
    /// async runtime: the future completes when loading is done, without
    /// blocking the executor (any executor: it is woken from that thread).
    /// Dropping the future does not stop the load.
    ///
    /// # Errors
    ///
    /// As [`load`](Resolver::load); also when the thread cannot be started.
    #[cfg(feature = "pac")]
    pub fn load_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let layers: Vec<Arc<PacLayer>> = self.pac_layers().cloned().collect();
        crate::pac::oneshot::spawn("proxyroute-pac-load", move || {
            let mut first = Ok(());
            for layer in &layers {
                if let Err(e) = layer.load() {
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
            first
        })
    }

    /// Whether every PAC layer's script is loaded (or failed to load);
    /// `true` without PAC layers.
    #[cfg(feature = "pac")]
    pub fn is_loaded(&self) -> bool {
        self.pac_layers().all(|l| l.is_loaded())
    }

    #[cfg(feature = "pac")]
    fn pac_layers(&self) -> impl Iterator<Item = &Arc<PacLayer>> {
        self.pac
            .iter()
            .chain(self.system.iter().filter_map(|s| s.pac.as_ref()))
    }

    /// [`resolve`](Resolver::resolve) for callers on an async executor:
    /// the same route, without blocking the calling thread. Every layer but
    /// a PAC script answers at once (the future is ready), as does a PAC
    /// answer in the script's cache; otherwise the script runs on one of a
    /// fixed set of the crate's threads (4, with at most 1,024 evaluations
    /// waiting; past that the route is refused), which wakes the future when
    /// the answer is there. Works on any executor: the crate depends on no
    /// async runtime.
    ///
    /// ```
    /// # #[cfg(feature = "pac")] {
    /// # use proxyroute::{pac::PacScript, Resolver};
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } }
    /// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// let script = PacScript::new("function FindProxyForURL(u, h) { return 'PROXY p.corp:3128'; }")?;
    /// let resolver = Resolver::builder().pac(script).build()?;
    /// let route = block_on(resolver.resolve_async(&"https://example.com/".parse()?));
    /// assert_eq!(route.to_string(), "http://p.corp:3128");
    /// # }
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn resolve_async(&self, target: &Target) -> crate::route::RouteFuture<'_> {
        match self.verdict(target, None) {
            #[cfg(feature = "pac")]
            Verdict::Pac { pac, .. } => pac.route_async(target),
            verdict => crate::route::RouteFuture::ready(verdict.route(target)),
        }
    }

    /// Where `target` goes when the request carries its own setting.
    #[must_use]
    pub fn resolve_with<'a>(&'a self, target: &Target, request: &'a RequestProxy) -> Route<'a> {
        self.verdict(target, Some(request)).route(target)
    }

    /// Where `target` goes, and why.
    pub fn explain(&self, target: &Target) -> Decision {
        self.decision(target, None)
    }

    /// Where `target` goes when the request carries its own setting, and why.
    pub fn explain_with(&self, target: &Target, request: &RequestProxy) -> Decision {
        self.decision(target, Some(request))
    }
}

//! Client adapters: send requests along the routes a [`Resolver`]
//! gives, with real HTTP clients, failing closed.
//!
//! Each adapter sits behind a cargo feature that pulls in its client:
//!
//! | feature  | module        | what it gives                                                   |
//! |----------|---------------|-----------------------------------------------------------------|
//! | `hyper`  | [`hyper`]     | a hyper-util connector that follows every hop of the route      |
//! | `reqwest`| [`reqwest`]   | a reqwest client routed per request and per redirect            |
//! | `ureq`   | [`ureq`]      | a ureq agent routed per request and per redirect, with failover |
//!
//! What every adapter promises:
//!
//! - **Fail closed.** A refused route (a proxy variable that is not a URL, a PAC
//!   script that failed) fails the request with a [`RouteError::Refused`]
//!   carrying proxyroute's error; nothing is sent, and never directly.
//! - **Credentials** of a proxy become its `Proxy-Authorization: Basic` header
//!   (HTTP and HTTPS proxies) or its SOCKS5 user and password; no password
//!   appears in an error, a `Debug` or a `Display`.
//! - **Per-proxy work is done once**: what a client needs from a
//!   [`Proxy`] (its parsed URI or client proxy value, the encoded
//!   auth header) is prepared the first time the proxy is used and kept in a
//!   bounded table keyed by the proxy, so a request does not parse a proxy URL
//!   or encode a header again.
//!
//! - **A swappable resolver.** Every adapter takes a [`ResolverSource`]:
//!   an `Arc<Resolver>` (or a `Resolver`) that never changes, or a
//!   [`SharedResolver`] that a watcher or the program replaces. Each request
//!   and each redirect reads the resolver in place then (one lock-free
//!   load), so a swap applies to the next one. (A connection pool can
//!   hold connections opened before a swap: `docs/clients.md` says what
//!   each adapter does about it.)
//!
//! What each client cannot do is said in its module and in `docs/clients.md`
//! (the integration guide).

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use crate::{Proxy, Resolver, ResolverGuard, SharedResolver};

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "ureq")]
pub mod ureq;

// ===== ResolverSource =====

/// Where an adapter takes its [`Resolver`] from for each request: one that
/// never changes (`Arc<Resolver>` or `Resolver`), or a [`SharedResolver`]
/// whose resolver is replaced while the adapter runs.
///
/// The adapters' constructors take `impl Into<ResolverSource>`, so any of
/// the three can be given. With a [`SharedResolver`], every request and every
/// redirect loads the resolver in place at that moment (one lock-free atomic
/// load, no allocation), so a [`store`](SharedResolver::store) applies to the
/// next request; a request already on its way keeps the resolver it started
/// with.
///
/// ```
/// use std::sync::Arc;
/// use proxyroute::adapters::ResolverSource;
/// use proxyroute::{Resolver, SharedResolver};
///
/// let fixed: ResolverSource = Arc::new(Resolver::builder().no_env().build()?).into();
/// assert!(!fixed.is_shared());
///
/// let shared = SharedResolver::new(Resolver::builder().proxy("http://a:3128").build()?);
/// let source = ResolverSource::from(&shared);
/// assert!(source.is_shared());
/// // The adapter holding `source` follows the swap on its next request.
/// shared.store(Resolver::builder().proxy("http://b:3128").build()?);
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Clone)]
pub struct ResolverSource(Source);

#[derive(Clone)]
enum Source {
    Fixed(Arc<Resolver>),
    Shared(SharedResolver),
}

/// The resolver a request uses, kept alive while it is resolved.
pub(crate) enum Loaded<'a> {
    Fixed(&'a Resolver),
    Shared(ResolverGuard),
}

impl Deref for Loaded<'_> {
    type Target = Resolver;

    fn deref(&self) -> &Resolver {
        match self {
            Loaded::Fixed(resolver) => resolver,
            Loaded::Shared(guard) => guard,
        }
    }
}

impl ResolverSource {
    /// Whether the resolver can be swapped (a [`SharedResolver`]).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Source::Shared(_))
    }

    /// The resolver in place now: a borrow for a fixed one, a guard (one
    /// atomic load) for a shared one. Resolve against it and drop it.
    pub(crate) fn load(&self) -> Loaded<'_> {
        match &self.0 {
            Source::Fixed(resolver) => Loaded::Fixed(resolver),
            Source::Shared(shared) => Loaded::Shared(shared.load()),
        }
    }
}

impl From<Arc<Resolver>> for ResolverSource {
    fn from(resolver: Arc<Resolver>) -> Self {
        ResolverSource(Source::Fixed(resolver))
    }
}

impl From<Resolver> for ResolverSource {
    fn from(resolver: Resolver) -> Self {
        ResolverSource(Source::Fixed(Arc::new(resolver)))
    }
}

impl From<SharedResolver> for ResolverSource {
    fn from(shared: SharedResolver) -> Self {
        ResolverSource(Source::Shared(shared))
    }
}

impl From<&SharedResolver> for ResolverSource {
    fn from(shared: &SharedResolver) -> Self {
        ResolverSource(Source::Shared(shared.clone()))
    }
}

impl fmt::Debug for ResolverSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Fixed(_) => f.write_str("ResolverSource::Fixed"),
            Source::Shared(shared) => f
                .debug_struct("ResolverSource::Shared")
                .field("generation", &shared.generation())
                .finish(),
        }
    }
}

// ===== SendError =====

/// Why a routed request failed, for an adapter whose client fails with `E`
/// (`adapters::reqwest::SendError`, `adapters::ureq::SendError`).
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError<E> {
    /// The route stopped it: refused, every hop unreachable, or the proxy
    /// asked for credentials.
    Route(RouteError),
    /// The client failed.
    Client(E),
}

impl<E: std::error::Error + 'static> SendError<E> {
    /// The route's error, also when it stopped a redirect inside the client
    /// (found among the client error's causes).
    pub fn route(&self) -> Option<&RouteError> {
        match self {
            SendError::Route(e) => Some(e),
            SendError::Client(e) => {
                let mut source = e.source();
                while let Some(cause) = source {
                    if let Some(route) = cause.downcast_ref::<RouteError>() {
                        return Some(route);
                    }
                    source = cause.source();
                }
                None
            }
        }
    }
}

impl<E: fmt::Display> fmt::Display for SendError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Route(e) => e.fmt(f),
            SendError::Client(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SendError<E> {
    /// The causes of the error this shows (its own message is this one's).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Route(e) => e.source(),
            SendError::Client(e) => e.source(),
        }
    }
}

impl<E> From<RouteError> for SendError<E> {
    fn from(e: RouteError) -> Self {
        SendError::Route(e)
    }
}

// ===== RouteError =====

/// Why a request could not be sent along its route.
///
/// Names the request by its [`Target`](crate::Target) (scheme, host, port:
/// never a path, a query or a user's password) and proxies as
/// `scheme://user:***@host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The URL cannot be routed (not absolute, a bad host).
    Target {
        /// The URL as given, or what could be read of it.
        url: String,
        /// Why it is not a target.
        error: Box<crate::Error>,
    },
    /// The resolver refused the route because a configured source failed.
    /// Nothing was sent anywhere.
    Refused {
        /// The request's target.
        target: String,
        /// proxyroute's error: which source failed and how.
        error: Box<crate::Error>,
    },
    /// No hop of the route could be connected (refused, unreachable, timed
    /// out): every hop tried, in order, with why it failed.
    Unreachable {
        /// The request's target.
        target: String,
        /// Each hop and why it could not be connected.
        tried: Vec<HopFailure>,
    },
    /// A proxy answered 407: the user name or password is missing or wrong.
    /// Later hops are not tried: other proxies would not fix the credentials.
    ProxyAuth {
        /// The request's target.
        target: String,
        /// The proxy, password as `***`.
        hop: String,
    },
    /// A proxy was reached but would not carry the request (CONNECT refused,
    /// a SOCKS failure). Later hops are not tried.
    ProxyFailed {
        /// The request's target.
        target: String,
        /// The proxy, password as `***`.
        hop: String,
        /// What the proxy or the handshake said.
        reason: String,
    },
}

/// One hop that could not be connected, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopFailure {
    /// The hop: `DIRECT` or the proxy, password as `***`.
    pub hop: String,
    /// Why it failed, with the causes.
    pub reason: String,
}

impl RouteError {
    /// proxyroute's error, for a refused route or a URL that is not a target.
    pub fn error(&self) -> Option<&crate::Error> {
        match self {
            RouteError::Target { error, .. } | RouteError::Refused { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether the route was refused (nothing was sent).
    pub fn is_refused(&self) -> bool {
        matches!(self, RouteError::Refused { .. })
    }

    /// Whether a proxy asked for credentials (407).
    pub fn is_proxy_auth(&self) -> bool {
        matches!(self, RouteError::ProxyAuth { .. })
    }

    /// The hops tried and why each failed, for [`RouteError::Unreachable`].
    pub fn tried(&self) -> &[HopFailure] {
        match self {
            RouteError::Unreachable { tried, .. } => tried,
            _ => &[],
        }
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Target { url, error } => write!(f, "cannot route {url}: {error}"),
            RouteError::Refused { target, error } => write!(f, "no route for {target}: {error}"),
            RouteError::Unreachable { target, tried } => {
                write!(f, "no hop reached {target}: ")?;
                if tried.is_empty() {
                    f.write_str("the route has no hop")?;
                }
                for (i, failure) in tried.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", failure.hop, failure.reason)?;
                }
                Ok(())
            }
            RouteError::ProxyAuth { target, hop } => write!(
                f,
                "proxy {hop} answered 407 Proxy Authentication Required for {target}: \
                 the user name or password is missing or wrong"
            ),
            RouteError::ProxyFailed {
                target,
                hop,
                reason,
            } => write!(f, "proxy {hop} would not carry {target}: {reason}"),
        }
    }
}

impl std::error::Error for RouteError {}

/// An error and its causes, joined by `: ` (a client's first message rarely
/// says what went wrong).
#[cfg(any(feature = "hyper", feature = "reqwest"))]
pub(crate) fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How many prepared proxies a table keeps. A resolver's own proxies are a
/// handful; PAC answers can name new ones at run time, so the table is
/// emptied when it fills rather than growing without end.
const PREPARED_LIMIT: usize = 256;

/// How many proxies are found by comparing them in turn (cheaper than
/// hashing a proxy's host and credentials) before the hash table is used.
const SCANNED: usize = 8;

/// What a client needs from each [`Proxy`], made once per proxy and shared.
pub(crate) struct Prepared<T> {
    table: Mutex<Table<T>>,
}

struct Table<T> {
    /// The first proxies seen, compared in turn.
    few: Vec<(Proxy, Arc<T>)>,
    /// The rest (PAC answers naming many proxies).
    many: HashMap<Proxy, Arc<T>>,
}

impl<T> Prepared<T> {
    pub(crate) fn new() -> Self {
        Prepared {
            table: Mutex::new(Table {
                few: Vec::new(),
                many: HashMap::new(),
            }),
        }
    }

    /// The prepared form of `proxy`, made by `make` the first time.
    pub(crate) fn get<E>(
        &self,
        proxy: &Proxy,
        make: impl FnOnce(&Proxy) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, found)) = table.few.iter().find(|(p, _)| p == proxy) {
            return Ok(Arc::clone(found));
        }
        if !table.many.is_empty() {
            if let Some(found) = table.many.get(proxy) {
                return Ok(Arc::clone(found));
            }
        }
        let made = Arc::new(make(proxy)?);
        if table.few.len() < SCANNED {
            table.few.push((proxy.clone(), Arc::clone(&made)));
        } else {
            if table.many.len() >= PREPARED_LIMIT - SCANNED {
                table.many.clear();
            }
            table.many.insert(proxy.clone(), Arc::clone(&made));
        }
        Ok(made)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let table = self.table.lock().unwrap();
        table.few.len() + table.many.len()
    }
}

/// One step of a request's plan: a hop of the route, with its prepared
/// proxy, or why the adapter cannot use it.
#[cfg(any(feature = "hyper", feature = "ureq"))]
pub(crate) enum Planned<T> {
    Direct,
    Proxy(Arc<T>),
    /// A hop this adapter cannot use, and why.
    Unusable(HopFailure),
}

#[cfg(any(feature = "hyper", feature = "ureq"))]
impl<T> Prepared<T> {
    /// The hops to try for `target`, resolved before anything is sent: a
    /// refused route is an error (never a direct connection), and each proxy
    /// is prepared once (`make`) and shared from then on.
    pub(crate) fn plan(
        &self,
        resolver: &ResolverSource,
        target: &crate::Target,
        make: impl Fn(&Proxy) -> Result<T, String>,
    ) -> Result<Vec<Planned<T>>, RouteError> {
        let resolver = resolver.load();
        let route = resolver.resolve(target);
        if let Some(error) = route.error() {
            return Err(RouteError::Refused {
                target: target.to_string(),
                error: Box::new(error.clone()),
            });
        }
        // Bound before returning: the hops borrow the route.
        let planned = route
            .hops()
            .map(|hop| {
                #[allow(unreachable_patterns)] // `Hop` is non-exhaustive
                match hop {
                    crate::Hop::Direct => Planned::Direct,
                    crate::Hop::Proxy(proxy) => match self.get(proxy, &make) {
                        Ok(prepared) => Planned::Proxy(prepared),
                        Err(reason) => Planned::Unusable(HopFailure {
                            hop: proxy.to_string(),
                            reason,
                        }),
                    },
                    other => Planned::Unusable(HopFailure {
                        hop: other.to_string(),
                        reason: "this adapter does not know the hop".to_owned(),
                    }),
                }
            })
            .collect();
        Ok(planned)
    }
}

impl<T> fmt::Debug for Prepared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.table.lock().map_or(0, |t| t.few.len() + t.many.len());
        write!(f, "Prepared({n} proxies)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_makes_each_proxy_once_and_stays_bounded() {
        let prepared: Prepared<String> = Prepared::new();
        let mut made = 0;
        let a: Proxy = "http://alice:pw@a:1".parse().unwrap();
        for _ in 0..3 {
            let got = prepared
                .get(&a, |p| {
                    made += 1;
                    Ok::<_, ()>(p.to_string())
                })
                .unwrap();
            assert_eq!(*got, "http://alice:***@a:1");
        }
        assert_eq!(made, 1);
        for port in 1..=(PREPARED_LIMIT as u16 + 10) {
            let p: Proxy = format!("http://b:{port}").parse().unwrap();
            prepared.get(&p, |p| Ok::<_, ()>(p.to_string())).unwrap();
            assert!(prepared.len() <= PREPARED_LIMIT);
        }
    }

    #[test]
    fn a_shared_source_reads_the_resolver_in_place_and_a_fixed_one_does_not_change() {
        let target = crate::Target::parse("http://example.com/").unwrap();
        let a = || Resolver::builder().proxy("http://a:1").build().unwrap();
        let b = || Resolver::builder().proxy("http://b:2").build().unwrap();
        let shared = SharedResolver::new(a());
        let sources = [
            ("shared", ResolverSource::from(&shared), "http://b:2"),
            ("shared by value", shared.clone().into(), "http://b:2"),
            ("arc", Arc::new(a()).into(), "http://a:1"),
            ("resolver", a().into(), "http://a:1"),
        ];
        for (name, source, _) in &sources {
            let loaded = source.load();
            assert_eq!(loaded.resolve(&target).to_string(), "http://a:1", "{name}");
        }
        shared.store(b());
        for (name, source, after) in &sources {
            let loaded = source.load();
            assert_eq!(loaded.resolve(&target).to_string(), *after, "{name}");
            assert_eq!(source.is_shared(), name.starts_with("shared"), "{name}");
        }
    }

    #[test]
    fn a_resolver_source_shows_no_password() {
        let resolver = || {
            Resolver::builder()
                .proxy("http://alice:s3cret@proxy:3128")
                .build()
                .unwrap()
        };
        let shared = SharedResolver::new(resolver());
        for source in [ResolverSource::from(resolver()), (&shared).into()] {
            let text = format!("{source:?}");
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.starts_with("ResolverSource::"), "{text}");
        }
    }

    #[test]
    fn route_errors_name_every_hop_and_no_password() {
        let err = RouteError::Unreachable {
            target: "http://origin:8080/".into(),
            tried: vec![
                HopFailure {
                    hop: "http://127.0.0.1:1".into(),
                    reason: "connection refused".into(),
                },
                HopFailure {
                    hop: "DIRECT".into(),
                    reason: "timed out".into(),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "no hop reached http://origin:8080/: http://127.0.0.1:1: connection refused; DIRECT: timed out"
        );
        assert_eq!(err.tried().len(), 2);
    }
}

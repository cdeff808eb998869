//! reqwest clients routed by the resolver, per request and per redirect
//! (feature `reqwest`; the blocking client with `reqwest-blocking`).
//!
//! [`RoutedClient`] (and [`RoutedBlockingClient`]) hold a `reqwest::Client`
//! configured by [`configure`] and the resolver:
//!
//! - **Every request and every redirect asks the resolver.** reqwest calls its
//!   `Proxy::custom` function for each connection it needs, redirects
//!   included; the function answers with the route's proxy (its credentials
//!   become reqwest's `Proxy-Authorization: Basic`) or none for `DIRECT`.
//! - **Fail closed.** To reqwest, "no proxy" means "connect directly", and a
//!   `Proxy::custom` function cannot refuse a request. So a refused route is
//!   caught before reqwest sees it: [`RoutedClient::execute`] checks the
//!   request's URL, and the redirect policy set by [`configure`] fails any
//!   redirect whose route is refused, with proxyroute's error as its cause
//!   ([`SendError::route`] finds it). Nothing is connected in either case.
//!   Should the route be refused only by the time reqwest asks for the proxy
//!   (a [`SharedResolver`](crate::SharedResolver) swapped in between, or a
//!   request sent on the bare client), the `Proxy::custom` function sends
//!   reqwest to a sink, `127.0.0.1:0`, where no socket can listen: the
//!   connection is refused on this machine, never made directly.
//! - **A swappable resolver.** The constructors and [`configure`] take a
//!   [`ResolverSource`]: an `Arc<Resolver>` or a
//!   [`SharedResolver`](crate::SharedResolver), read again for every request,
//!   connection and redirect. reqwest's pool reuses an idle connection to the
//!   same origin without asking `Proxy::custom`, so [`RoutedClient::new`] on
//!   a shared resolver keeps none; a client from a builder of yours
//!   ([`RoutedClient::from_builder`], [`configure`]) keeps the builder's pool,
//!   and a swap to another proxy applies to an origin once its idle
//!   connection is gone (a swap to a refused route applies at once: every
//!   request is checked).
//! - **407**: a proxy's `407 Proxy Authentication Required` (a forwarded plain
//!   `http` request's answer, or a failed tunnel for `https`) becomes
//!   [`RouteError::ProxyAuth`].
//!
//! What reqwest cannot do, and so this adapter does not:
//!
//! - **No failover.** reqwest takes one proxy per request: the route's first
//!   proxy is used and its other hops are not tried (the hyper and ureq
//!   adapters try them). A route whose first hop is `DIRECT` goes direct.
//! - **Host-level routes on reqwest's side.** reqwest hands the `Proxy::custom`
//!   function only the scheme, host and port, so a PAC script that routes by
//!   path sees the path for the first URL and the redirects (checked here)
//!   but not when reqwest picks the proxy.
//! - **Per-request parsing inside reqwest.** The proxy URL is made once per
//!   proxy here, but reqwest parses what `Proxy::custom` returns, and builds
//!   its auth header, on every connection.
//! - **A `Client` used directly** (through [`RoutedClient::inner`]) still
//!   routes every request and checks every redirect; a first request whose
//!   route is refused fails at the sink (`error trying to connect`, nothing
//!   sent) rather than with proxyroute's error. Send through [`RoutedClient`]
//!   for the error that says why.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use proxyroute::adapters::reqwest::RoutedClient;
//!
//! let resolver = Arc::new(proxyroute::Resolver::from_env());
//! let client = RoutedClient::new(resolver)?;
//! let response = client.get("http://example.com/").await?;
//! println!("{}", response.status());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect::{Attempt, Policy};
use reqwest::Url;

use super::{Prepared, ResolverSource, RouteError};
use crate::{Hop, Target};

/// How many redirects a routed client follows.
pub const MAX_REDIRECTS: usize = 10;

/// The route of a URL as reqwest needs it: the first proxy's URL (with
/// credentials), `None` for direct, or why it cannot be sent.
struct Router {
    resolver: ResolverSource,
    prepared: Prepared<Url>,
}

impl Router {
    /// What reqwest is to be given for `url`: the first proxy's prepared URL,
    /// `None` for `DIRECT`, or why the request must not be sent (a refused
    /// route, a URL that is not a target, a proxy reqwest cannot take).
    fn first_hop(&self, url: &Url) -> Result<Option<Arc<Url>>, RouteError> {
        let target = Target::from_url(url).map_err(|error| RouteError::Target {
            url: format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
            error: Box::new(error),
        })?;
        let resolver = self.resolver.load();
        let route = resolver.resolve(&target);
        if let Some(error) = route.error() {
            return Err(RouteError::Refused {
                target: target.to_string(),
                error: Box::new(error.clone()),
            });
        }
        let first = route.first();
        #[allow(unreachable_patterns)] // `Hop` is non-exhaustive
        let hop = match first {
            None | Some(Hop::Direct) => Ok(None),
            Some(Hop::Proxy(proxy)) => self
                .prepared
                .get(proxy, |p| Url::parse(&p.url_with_credentials()))
                .map(Some)
                .map_err(|e| RouteError::Unreachable {
                    target: target.to_string(),
                    tried: vec![super::HopFailure {
                        hop: proxy.to_string(),
                        reason: format!("reqwest cannot take this proxy: {e}"),
                    }],
                }),
            Some(other) => Err(RouteError::Unreachable {
                target: target.to_string(),
                tried: vec![super::HopFailure {
                    hop: other.to_string(),
                    reason: "this adapter does not know the hop".to_owned(),
                }],
            }),
        };
        hop
    }

    /// `Ok` when `url` may be given to reqwest.
    fn check(&self, url: &Url) -> Result<(), RouteError> {
        self.first_hop(url).map(drop)
    }

    /// The first hop's proxy URL; `None` for `DIRECT`, and for a URL that
    /// [`Router::check`] stops before reqwest connects.
    fn proxy_url(&self, url: &Url) -> Option<Url> {
        self.first_hop(url).ok()?.map(|u| (*u).clone())
    }

    /// The first proxy's name (password as `***`), for a 407.
    fn proxy_name(&self, url: &Url) -> Option<(String, String)> {
        let target = Target::from_url(url).ok()?;
        let proxy = self.resolver.load().resolve(&target).proxy()?.to_string();
        Some((target.to_string(), proxy))
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("prepared", &self.prepared)
            .finish_non_exhaustive()
    }
}

/// Where reqwest is sent when a route is refused inside reqwest (a resolver
/// swapped between [`Router::check`] and the connection): TCP port 0 on
/// loopback, which no socket can listen on, so the connection is refused on
/// this machine and nothing is sent. reqwest takes "no proxy" as "connect
/// directly", and `Proxy::custom` has no way to fail a request.
const SINK: &str = "http://127.0.0.1:0";

fn proxy(router: &Arc<Router>) -> reqwest::Proxy {
    let router = Arc::clone(router);
    let sink = Url::parse(SINK).expect("the sink is a URL");
    reqwest::Proxy::custom(move |url| match router.first_hop(url) {
        Ok(hop) => hop.map(|u| (*u).clone()),
        Err(_) => Some(sink.clone()),
    })
}

fn redirect_policy(router: &Arc<Router>) -> Policy {
    let router = Arc::clone(router);
    Policy::custom(move |attempt: Attempt<'_>| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match router.check(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// Sets `builder`'s proxy to the resolver's routes (per request, per
/// redirect) and its redirect policy to one that refuses a redirect whose
/// route is refused (up to [`MAX_REDIRECTS`]). Clears any proxy set before
/// (reqwest would try those first), replaces the redirect policy, and turns
/// off reqwest's own reading of the environment.
///
/// The first request of a client built from this is not checked before
/// reqwest has it: a refused route fails at the sink (see the [module
/// documentation](self)), with reqwest's connection error rather than
/// proxyroute's. [`RoutedClient`] is built this way and checks it first.
pub fn configure(
    builder: reqwest::ClientBuilder,
    resolver: impl Into<ResolverSource>,
) -> reqwest::ClientBuilder {
    let router = router(resolver.into());
    builder
        .no_proxy()
        .proxy(proxy(&router))
        .redirect(redirect_policy(&router))
}

fn router(resolver: ResolverSource) -> Arc<Router> {
    Arc::new(Router {
        resolver,
        prepared: Prepared::new(),
    })
}

/// Why a routed request failed: the route stopped it, or reqwest failed
/// (a redirect refused by the route among them: [`SendError::route`]
/// finds the route's error inside).
pub type SendError = super::SendError<reqwest::Error>;

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> Self {
        SendError::Client(e)
    }
}

/// A 407 from the proxy, as a [`RouteError::ProxyAuth`].
fn auth_required(router: &Router, url: &Url, status: u16) -> Result<(), SendError> {
    if status != 407 {
        return Ok(());
    }
    let (target, hop) = router
        .proxy_name(url)
        .unwrap_or_else(|| (url.to_string(), "(the proxy)".to_owned()));
    Err(SendError::Route(RouteError::ProxyAuth { target, hop }))
}

/// reqwest's error in the route's terms: a 407 that came back as a failed
/// tunnel is [`RouteError::ProxyAuth`]; a connection that could not be made is
/// [`RouteError::Unreachable`] naming the one hop reqwest tried.
fn client_error(router: &Router, url: &Url, error: reqwest::Error) -> SendError {
    let text = super::with_causes(&error);
    if text.contains("authorization required") {
        if let Err(e) = auth_required(router, url, 407) {
            return e;
        }
    }
    if error.is_connect() {
        let url = error.url().unwrap_or(url);
        if let Ok(target) = Target::from_url(url) {
            let resolver = router.resolver.load();
            let route = resolver.resolve(&target);
            if let Some(error) = route.error() {
                // Refused since the request was checked (a swapped resolver):
                // reqwest was sent to the sink, never directly.
                return SendError::Route(RouteError::Refused {
                    target: target.to_string(),
                    error: Box::new(error.clone()),
                });
            }
            if let Some(hop) = route.first() {
                return SendError::Route(RouteError::Unreachable {
                    target: target.to_string(),
                    tried: vec![super::HopFailure {
                        hop: hop.to_string(),
                        reason: text,
                    }],
                });
            }
        }
    }
    SendError::Client(error)
}

/// A reqwest client that sends every request along the resolver's route and
/// never connects directly for a refused one; see the [module
/// documentation](self).
#[derive(Debug, Clone)]
pub struct RoutedClient {
    client: reqwest::Client,
    router: Arc<Router>,
}

impl RoutedClient {
    /// A client with reqwest's defaults, a 10 s connect timeout and a 30 s
    /// request timeout. On a [`SharedResolver`](crate::SharedResolver) it
    /// keeps no idle connection (`pool_max_idle_per_host(0)`), so that a swap
    /// applies to the next request; [`from_builder`](RoutedClient::from_builder)
    /// leaves the pool as the builder has it.
    ///
    /// # Errors
    ///
    /// reqwest's, when the client cannot be built (no TLS backend, say).
    pub fn new(resolver: impl Into<ResolverSource>) -> reqwest::Result<Self> {
        let resolver = resolver.into();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30));
        if resolver.is_shared() {
            builder = builder.pool_max_idle_per_host(0);
        }
        RoutedClient::from_builder(builder, resolver)
    }

    /// A client from `builder` (its proxy and redirect policy replaced, see
    /// [`configure`]).
    ///
    /// # Errors
    ///
    /// reqwest's, when the client cannot be built.
    pub fn from_builder(
        builder: reqwest::ClientBuilder,
        resolver: impl Into<ResolverSource>,
    ) -> reqwest::Result<Self> {
        let router = router(resolver.into());
        let client = builder
            .no_proxy()
            .proxy(proxy(&router))
            .redirect(redirect_policy(&router))
            .build()?;
        Ok(RoutedClient { client, router })
    }

    /// The reqwest client. Its first request is not checked before reqwest
    /// has it (a refused route fails at the sink, with reqwest's error):
    /// prefer [`execute`](RoutedClient::execute).
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// The proxy reqwest is given for `url` (the route's first proxy, with
    /// its credentials; prepared once per proxy), or `None` for `DIRECT`.
    /// Do not log it: it holds the password.
    pub fn proxy_for(&self, url: &Url) -> Option<Url> {
        self.router.proxy_url(url)
    }

    /// Whether `url` may be sent: `Err` for a refused route.
    ///
    /// # Errors
    ///
    /// [`RouteError::Refused`] or [`RouteError::Target`].
    pub fn check(&self, url: &Url) -> Result<(), RouteError> {
        self.router.check(url)
    }

    /// Sends `request` along its route.
    ///
    /// # Errors
    ///
    /// [`SendError::Route`] for a refused route (nothing sent) or a 407;
    /// [`SendError::Client`] for reqwest's errors, a refused redirect among them.
    pub async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        let url = request.url().clone();
        self.router.check(&url)?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| client_error(&self.router, &url, e))?;
        auth_required(&self.router, response.url(), response.status().as_u16())?;
        Ok(response)
    }

    /// `GET url` along its route.
    ///
    /// # Errors
    ///
    /// As [`execute`](RoutedClient::execute); a URL reqwest cannot parse is
    /// [`SendError::Client`].
    pub async fn get(&self, url: &str) -> Result<reqwest::Response, SendError> {
        let request = self.client.get(url).build()?;
        self.execute(request).await
    }
}

/// The blocking counterpart of [`RoutedClient`] (feature `reqwest-blocking`).
#[cfg(feature = "reqwest-blocking")]
#[derive(Debug, Clone)]
pub struct RoutedBlockingClient {
    client: reqwest::blocking::Client,
    router: Arc<Router>,
}

#[cfg(feature = "reqwest-blocking")]
impl RoutedBlockingClient {
    /// A blocking client with a 10 s connect timeout and a 30 s request
    /// timeout; on a [`SharedResolver`](crate::SharedResolver), no idle
    /// connection is kept (as [`RoutedClient::new`]).
    ///
    /// # Errors
    ///
    /// reqwest's, when the client cannot be built.
    pub fn new(resolver: impl Into<ResolverSource>) -> reqwest::Result<Self> {
        let resolver = resolver.into();
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30));
        if resolver.is_shared() {
            builder = builder.pool_max_idle_per_host(0);
        }
        RoutedBlockingClient::from_builder(builder, resolver)
    }

    /// A blocking client from `builder`, its proxy and redirect policy replaced.
    ///
    /// # Errors
    ///
    /// reqwest's, when the client cannot be built.
    pub fn from_builder(
        builder: reqwest::blocking::ClientBuilder,
        resolver: impl Into<ResolverSource>,
    ) -> reqwest::Result<Self> {
        let router = router(resolver.into());
        let client = builder
            .no_proxy()
            .proxy(proxy(&router))
            .redirect(redirect_policy(&router))
            .build()?;
        Ok(RoutedBlockingClient { client, router })
    }

    /// The reqwest client; its first request is not checked.
    pub fn inner(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// Sends `request` along its route.
    ///
    /// # Errors
    ///
    /// As [`RoutedClient::execute`].
    pub fn execute(
        &self,
        request: reqwest::blocking::Request,
    ) -> Result<reqwest::blocking::Response, SendError> {
        let url = request.url().clone();
        self.router.check(&url)?;
        let response = self
            .client
            .execute(request)
            .map_err(|e| client_error(&self.router, &url, e))?;
        auth_required(&self.router, response.url(), response.status().as_u16())?;
        Ok(response)
    }

    /// `GET url` along its route.
    ///
    /// # Errors
    ///
    /// As [`RoutedClient::get`].
    pub fn get(&self, url: &str) -> Result<reqwest::blocking::Response, SendError> {
        let request = self.client.get(url).build()?;
        self.execute(request)
    }
}

//! A ureq agent routed by the resolver, per request and per redirect, with
//! failover (feature `ureq`).
//!
//! ureq 3 takes a proxy per request (request-level configuration) but keeps
//! it for the redirects it follows, and it has no way to refuse a request. So
//! [`RoutedAgent`] follows redirects itself: it turns ureq's off and, for the
//! first URL and each redirect's, resolves the route, fails with
//! [`RouteError::Refused`] before connecting when it is refused, and tries the
//! hops in order:
//!
//! - `DIRECT`: no proxy;
//! - an HTTP proxy: ureq's CONNECT tunnel (ureq tunnels every request through
//!   an HTTP proxy, plain `http` included) with the credentials as Basic auth;
//! - an HTTPS proxy: as HTTP, over TLS, when the application enabled one of
//!   ureq's TLS features;
//! - SOCKS4/4a/5/5h: ureq's SOCKS connector, the name resolved here for
//!   SOCKS4 and SOCKS5 and by the proxy for SOCKS4a and SOCKS5h.
//!
//! A hop that cannot be connected (refused, unreachable, timed out, a name
//! that does not resolve) passes to the next; when none is left the error
//! ([`RouteError::Unreachable`]) names every hop and why. A proxy that answers
//! 407 ends the attempt with [`RouteError::ProxyAuth`]; one that refuses the
//! tunnel with [`RouteError::ProxyFailed`]; one that accepts the connection
//! but does not answer the `CONNECT` or the SOCKS request within the agent's
//! connect timeout (`timeout_connect`, 10 s with [`RoutedAgent::new`]), or
//! closes it first, counts as unreachable (a closed connection only for an
//! idempotent method: `GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`).
//!
//! What ureq cannot do, and so this adapter does not: a request body is not
//! replayed, so only bodiless requests (`GET`, `HEAD`, ...) fail over and
//! follow redirects here ([`RoutedAgent::run`]); a proxy's 407 to a tunnel
//! arrives as text (`proxy server responded 407/407`), so it is recognised by
//! that text.
//!
//! ```no_run
//! use std::sync::Arc;
//! use proxyroute::adapters::ureq::RoutedAgent;
//!
//! let agent = RoutedAgent::new(Arc::new(proxyroute::Resolver::from_env()));
//! let response = agent.get("http://example.com/")?;
//! println!("{}", response.status());
//! # Ok::<(), proxyroute::adapters::ureq::SendError>(())
//! ```

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response};
use ureq::{Body, ProxyProtocol};

use super::{HopFailure, Planned, Prepared, ResolverSource, RouteError};
use crate::{Proxy, ProxyScheme, Target};

/// How many redirects [`RoutedAgent`] follows.
pub const MAX_REDIRECTS: usize = 10;

/// A ureq agent that sends every request, and every redirect, along the
/// resolver's route; see the [module documentation](self).
#[derive(Clone)]
pub struct RoutedAgent {
    agent: ureq::Agent,
    resolver: ResolverSource,
    prepared: Arc<Prepared<UreqHop>>,
}

impl fmt::Debug for RoutedAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutedAgent")
            .field("prepared", &self.prepared)
            .finish_non_exhaustive()
    }
}

/// Why a routed request failed: the route stopped it (refused, every hop
/// unreachable, a 407, a proxy that would not carry it), or ureq failed
/// after a hop was connected.
pub type SendError = super::SendError<ureq::Error>;

/// The ureq proxy for a proxyroute proxy: made once per proxy.
fn ureq_proxy(proxy: &Proxy) -> Result<ureq::Proxy, String> {
    let protocol = match proxy.scheme() {
        ProxyScheme::Http => ProxyProtocol::Http,
        ProxyScheme::Https => ProxyProtocol::Https,
        ProxyScheme::Socks4 => ProxyProtocol::Socks4,
        ProxyScheme::Socks4a => ProxyProtocol::Socks4A,
        ProxyScheme::Socks5 => ProxyProtocol::Socks5,
        ProxyScheme::Socks5h => ProxyProtocol::Socks5h,
    };
    let host = if proxy.host().contains(':') {
        format!("[{}]", proxy.host())
    } else {
        proxy.host().to_owned()
    };
    let mut builder = ureq::Proxy::builder(protocol)
        .host(&host)
        .port(proxy.port())
        .resolve_target(!proxy.scheme().resolves_remotely());
    if let Some(credentials) = proxy.credentials() {
        builder = builder.username(credentials.username());
        if let Some(password) = credentials.password() {
            builder = builder.password(password);
        }
    }
    // ureq's message names the URL it built, password included: not repeated.
    builder
        .build()
        .map_err(|_| "ureq does not take this proxy".to_owned())
}

/// A proxy as ureq takes it, and as errors name it, made once per proxy.
struct UreqHop {
    proxy: ureq::Proxy,
    name: Box<str>,
}

impl UreqHop {
    fn new(proxy: &Proxy) -> Result<Self, String> {
        Ok(UreqHop {
            proxy: ureq_proxy(proxy)?,
            name: proxy.to_string().into_boxed_str(),
        })
    }
}

/// How one hop ended.
enum Attempt {
    Done(Response<Body>),
    /// Could not be connected: try the next hop.
    Unreachable(String),
    Failed(SendError),
}

impl RoutedAgent {
    /// An agent with a 10 s connect timeout and a 30 s timeout per request.
    ///
    /// `resolver` is an `Arc<Resolver>`, a `Resolver` or a
    /// [`SharedResolver`](crate::SharedResolver) ([`ResolverSource`]); a shared
    /// one is read again for every request and every redirect, so a swap
    /// applies to the next one.
    pub fn new(resolver: impl Into<ResolverSource>) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        RoutedAgent::with_agent(agent, resolver)
    }

    /// Routes requests sent with `agent` (its other settings kept; its proxy,
    /// redirects and status handling set per request).
    pub fn with_agent(agent: ureq::Agent, resolver: impl Into<ResolverSource>) -> Self {
        RoutedAgent {
            agent,
            resolver: resolver.into(),
            prepared: Arc::new(Prepared::new()),
        }
    }

    /// The ureq agent. Requests sent on it directly are not routed.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// `GET url` along its route, following redirects. Statuses other than
    /// 407 come back as responses, not errors.
    ///
    /// # Errors
    ///
    /// As [`run`](RoutedAgent::run); a URL that does not parse is
    /// [`SendError::Client`].
    pub fn get(&self, url: &str) -> Result<Response<Body>, SendError> {
        let request = Request::get(url)
            .body(())
            .map_err(|e| SendError::Client(ureq::Error::Http(e)))?;
        self.run(request)
    }

    /// Sends a bodiless `request` along its route, following redirects
    /// (`303` and a `POST`'s `301`/`302` become `GET`, as browsers do) up to
    /// [`MAX_REDIRECTS`].
    ///
    /// # Errors
    ///
    /// [`SendError::Route`] for a refused route (nothing sent), every hop
    /// unreachable, a 407 or a proxy that would not carry it;
    /// [`SendError::Client`] for ureq's errors once a hop was connected.
    pub fn run(&self, request: Request<()>) -> Result<Response<Body>, SendError> {
        let (mut parts, ()) = request.into_parts();
        for _ in 0..=MAX_REDIRECTS {
            let response = self.send_once(&parts)?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok());
            let (true, Some(location)) = (matches!(status, 301 | 302 | 303 | 307 | 308), location)
            else {
                return Ok(response);
            };
            let next = url::Url::parse(&parts.uri.to_string())
                .and_then(|base| base.join(location))
                .map_err(|_| SendError::Client(ureq::Error::RedirectFailed))?;
            parts.uri = next
                .as_str()
                .parse()
                .map_err(|_| SendError::Client(ureq::Error::RedirectFailed))?;
            if status == 303 || (matches!(status, 301 | 302) && parts.method == Method::POST) {
                parts.method = Method::GET;
            }
        }
        Err(SendError::Client(ureq::Error::TooManyRedirects))
    }

    /// The ureq proxies this agent tries for `uri`, in order (`None` for
    /// `DIRECT`), as prepared once per proxy.
    ///
    /// # Errors
    ///
    /// [`RouteError::Refused`] for a refused route, [`RouteError::Target`] for
    /// a URI that cannot be routed.
    pub fn proxies_for(&self, uri: &http::Uri) -> Result<Vec<Option<ureq::Proxy>>, RouteError> {
        let target = target_of(uri)?;
        let plan = self.plan(&target)?;
        Ok(plan
            .into_iter()
            .filter_map(|hop| match hop {
                Planned::Direct => Some(None),
                Planned::Proxy(p) => Some(Some(p.proxy.clone())),
                Planned::Unusable(_) => None,
            })
            .collect())
    }

    /// The hops to try, resolved before anything is sent.
    fn plan(&self, target: &Target) -> Result<Vec<Planned<UreqHop>>, RouteError> {
        self.prepared.plan(&self.resolver, target, UreqHop::new)
    }

    /// One request (no redirect followed), hop by hop.
    fn send_once(&self, parts: &http::request::Parts) -> Result<Response<Body>, SendError> {
        let target = target_of(&parts.uri)?;
        let plan = self.plan(&target)?;
        let mut tried = Vec::with_capacity(plan.len());
        for hop in plan {
            let (name, attempt) = match hop {
                Planned::Direct => ("DIRECT", self.attempt(parts, None, &target, "DIRECT")),
                Planned::Proxy(ref p) => (
                    &*p.name,
                    self.attempt(parts, Some(&p.proxy), &target, &p.name),
                ),
                Planned::Unusable(failure) => {
                    tried.push(failure);
                    continue;
                }
            };
            match attempt {
                Attempt::Done(response) => return Ok(response),
                Attempt::Failed(e) => return Err(e),
                Attempt::Unreachable(reason) => tried.push(HopFailure {
                    hop: name.to_owned(),
                    reason,
                }),
            }
        }
        Err(RouteError::Unreachable {
            target: target.to_string(),
            tried,
        }
        .into())
    }

    fn attempt(
        &self,
        parts: &http::request::Parts,
        proxy: Option<&ureq::Proxy>,
        target: &Target,
        hop: &str,
    ) -> Attempt {
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone())
            .body(());
        if let Ok(request) = request.as_mut() {
            *request.headers_mut() = parts.headers.clone();
        }
        let request = match request {
            Ok(request) => request,
            Err(e) => return Attempt::Failed(SendError::Client(ureq::Error::Http(e))),
        };
        let request = self
            .agent
            .configure_request(request)
            .proxy(proxy.cloned())
            .max_redirects(0)
            .http_status_as_error(false)
            .build();
        let result = self.agent.run(request);
        let proxy_auth = || {
            Attempt::Failed(
                RouteError::ProxyAuth {
                    target: target.to_string(),
                    hop: hop.to_owned(),
                }
                .into(),
            )
        };
        match result {
            Ok(response) if response.status() == 407 && proxy.is_some() => proxy_auth(),
            Ok(response) => Attempt::Done(response),
            // ureq's text: "proxy server responded 407/407".
            Err(ureq::Error::ConnectProxyFailed(reason))
                if reason.starts_with("proxy server responded 407") =>
            {
                proxy_auth()
            }
            Err(ureq::Error::ConnectProxyFailed(reason)) if reason.contains("did not respond") => {
                Attempt::Unreachable(reason)
            }
            Err(ureq::Error::ConnectProxyFailed(reason)) => Attempt::Failed(
                RouteError::ProxyFailed {
                    target: target.to_string(),
                    hop: hop.to_owned(),
                    reason,
                }
                .into(),
            ),
            Err(e) if unreachable(&e) => Attempt::Unreachable(e.to_string()),
            // A proxy that closed or reset the connection (during the SOCKS
            // handshake, before the CONNECT's answer): passed over like one
            // that could not be connected, but only for an idempotent request,
            // which may be sent again should the proxy have forwarded it.
            Err(e) if proxy.is_some() && broke_off(&e) && idempotent(&parts.method) => {
                Attempt::Unreachable(format!("{e} (the proxy closed the connection)"))
            }
            Err(e) => Attempt::Failed(SendError::Client(e)),
        }
    }
}

/// Whether the connection broke off (closed, reset) rather than failed to open.
fn broke_off(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(e) if matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        )
    )
}

/// RFC 9110's idempotent methods: a client may send them again on its own.
fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Whether ureq failed before the hop was connected.
fn unreachable(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::TimedOut
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::AddrNotAvailable
        ),
        ureq::Error::Timeout(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        _ => false,
    }
}

fn target_of(uri: &http::Uri) -> Result<Target, RouteError> {
    Target::from_uri(uri).map_err(|error| RouteError::Target {
        url: url_target(&uri.to_string()),
        error: Box::new(error),
    })
}

/// `scheme://host` of a URL for an error (no user, path or query).
fn url_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")),
        Err(_) => "(a URL that does not parse)".to_owned(),
    }
}

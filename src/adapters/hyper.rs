//! A hyper-util connector that sends each connection along the route the
//! resolver gives, hop by hop (feature `hyper`).
//!
//! [`ProxyConnector`] wraps a plain connector (usually hyper-util's
//! `HttpConnector`) and is itself a `tower_service::Service<Uri>`, so it goes
//! wherever a hyper-util connector goes: under `hyper_rustls::HttpsConnector`
//! (which adds TLS to an `https` origin over whatever stream this connector
//! gives) and into `hyper_util::client::legacy::Client`.
//!
//! For each connection it resolves the destination and tries the route's hops
//! in order:
//!
//! - `DIRECT`: the inner connector, to the destination.
//! - an HTTP proxy: a `CONNECT` tunnel (hyper-util's `Tunnel`) with the proxy's
//!   `Proxy-Authorization: Basic` header. With
//!   [`forward_http`](ProxyConnector::forward_http), plain `http` requests
//!   through a proxy without credentials are instead sent to the proxy in
//!   absolute form (the connection is marked proxied for hyper-util's client).
//! - an HTTPS proxy: TLS to the proxy (rustls, the configuration given to
//!   [`with_tls`](ProxyConnector::with_tls)), then the tunnel inside it.
//! - SOCKS4 and SOCKS5 (hyper-util's `SocksV4`/`SocksV5`): the name is resolved
//!   here and the proxy given the address; SOCKS4a and SOCKS5h hand the proxy
//!   the name. SOCKS5 credentials are sent as user and password.
//!
//! **Failover**: a hop that cannot be connected (refused, unreachable, timed
//! out, TLS to the proxy failed) passes to the next hop, as browsers do with a
//! PAC answer `PROXY a:3128; PROXY b:3128; DIRECT`; when none is left the error
//! ([`RouteError::Unreachable`]) lists every hop and why it failed. A proxy that
//! was reached but answers 407 or refuses the tunnel ends the attempt. A refused
//! route fails with [`RouteError::Refused`] and connects nowhere.
//!
//! Which hop carried a connection is in every response's extensions as [`Via`].
//!
//! The resolver is an `Arc<Resolver>` or a [`SharedResolver`](crate::SharedResolver)
//! (any [`ResolverSource`]); a shared one is read for
//! every new connection, so a swap applies to the next connection. hyper-util's
//! client keeps idle connections keyed by the origin alone and reuses them
//! without asking the connector, so after a swap, even to a refused route, a
//! request could still go out on an idle connection through its old hop. So
//! on a shared resolver each connection is marked not reusable unless
//! [`reuse_across_swaps`](ProxyConnector::reuse_across_swaps) allows it (see
//! `docs/clients.md`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use hyper_util::client::legacy::{connect::HttpConnector, Client};
//! use hyper_util::rt::TokioExecutor;
//! use proxyroute::adapters::hyper::ProxyConnector;
//!
//! let resolver = Arc::new(proxyroute::Resolver::from_env());
//! let mut tcp = HttpConnector::new();
//! tcp.enforce_http(false); // direct hops to https origins pass through it
//! let connector = ProxyConnector::new(resolver, tcp);
//! let client: Client<_, String> = Client::builder(TokioExecutor::new()).build(connector);
//! let response = client.get("http://example.com/".parse()?).await?;
//! println!("{} via {:?}", response.status(), response.extensions().get::<proxyroute::adapters::hyper::Via>());
//! # Ok(())
//! # }
//! ```
//!
//! Every wait (each connection, TLS and proxy handshake) is bounded by the
//! [`timeout`](ProxyConnector::timeout), 10 seconds unless set; the futures
//! need a Tokio runtime with its timer enabled.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ::hyper::rt::{Read, ReadBufCursor, Write};
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::proxy::{SocksV4, SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tower_service::Service;

use super::{with_causes, HopFailure, Planned, Prepared, ResolverSource, RouteError};
use crate::{Proxy, ProxyScheme, Target};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The TLS client configuration for HTTPS proxies (rustls, as re-exported by
/// tokio-rustls).
pub use tokio_rustls::rustls::ClientConfig as TlsConfig;

/// The hop that carried a connection: `DIRECT` or the proxy, password as
/// `***`. hyper-util's client puts it in every response's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via(Arc<str>);

impl Via {
    /// The hop as text.
    pub fn hop(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A connector that follows the resolver's route for every connection; see
/// the [module documentation](self).
pub struct ProxyConnector<C> {
    inner: C,
    resolver: ResolverSource,
    tls: Option<tokio_rustls::TlsConnector>,
    prepared: Arc<Prepared<PreparedProxy>>,
    timeout: Duration,
    forward_http: bool,
    reuse_across_swaps: bool,
    direct: Arc<str>,
}

impl<C: Clone> Clone for ProxyConnector<C> {
    fn clone(&self) -> Self {
        ProxyConnector {
            inner: self.inner.clone(),
            resolver: self.resolver.clone(),
            tls: self.tls.clone(),
            prepared: Arc::clone(&self.prepared),
            timeout: self.timeout,
            forward_http: self.forward_http,
            reuse_across_swaps: self.reuse_across_swaps,
            direct: Arc::clone(&self.direct),
        }
    }
}

impl<C> fmt::Debug for ProxyConnector<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("tls", &self.tls.is_some())
            .field("prepared", &self.prepared)
            .field("timeout", &self.timeout)
            .field("forward_http", &self.forward_http)
            .field("reuse_across_swaps", &self.reuse_across_swaps)
            .finish_non_exhaustive()
    }
}

impl<C> ProxyConnector<C> {
    /// A connector routing by `resolver`, opening TCP connections (to the
    /// destination or to a proxy) with `inner`. `inner` is called with
    /// `http://host:port` URIs for proxies (TLS to an HTTPS proxy is added
    /// here) and with the destination's URI for `DIRECT`, `https` included:
    /// give hyper-util's `HttpConnector` `enforce_http(false)`, and put TLS to
    /// the origin on top of this connector (`hyper_rustls::HttpsConnector`).
    ///
    /// `resolver` is an `Arc<Resolver>`, a `Resolver` or a
    /// [`SharedResolver`](crate::SharedResolver) ([`ResolverSource`]); a shared
    /// one is read for every new connection, and its connections are not
    /// kept for reuse (see [`reuse_across_swaps`](ProxyConnector::reuse_across_swaps)),
    /// so a swap applies to the next request.
    pub fn new(resolver: impl Into<ResolverSource>, inner: C) -> Self {
        ProxyConnector {
            inner,
            resolver: resolver.into(),
            tls: None,
            prepared: Arc::new(Prepared::new()),
            timeout: Duration::from_secs(10),
            forward_http: false,
            reuse_across_swaps: false,
            direct: Arc::from("DIRECT"),
        }
    }

    /// The TLS configuration for `https://` proxies (which certificates to
    /// trust). Without it an HTTPS proxy hop fails (and the next hop is tried).
    #[must_use]
    pub fn with_tls(mut self, config: Arc<TlsConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsConnector::from(config));
        self
    }

    /// How long each step of a hop may take: the connection, TLS to the proxy,
    /// the proxy handshake. A hop that times out passes to the next.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether hyper-util's client may keep a connection for later requests
    /// when the resolver is a [`SharedResolver`](crate::SharedResolver).
    /// Off by default: the pool reuses an idle connection to the same origin
    /// without asking the connector, so after a swap (to another proxy, or to
    /// a refused route) the next request would still go out through the old
    /// hop. So each connection made on a shared resolver is marked not
    /// reusable (hyper-util's `Connected::poison`), and every request is
    /// routed by the resolver in place. Turn this on to keep idle connections
    /// and accept that a swap applies only to new connections. A fixed
    /// resolver's connections are always pooled.
    #[must_use]
    pub fn reuse_across_swaps(mut self, reuse: bool) -> Self {
        self.reuse_across_swaps = reuse;
        self
    }

    /// Send plain `http` requests through an HTTP proxy *without credentials*
    /// in absolute form on a proxied connection (hyper-util's client does
    /// this for connections marked proxied) rather than through a `CONNECT`
    /// tunnel. Off by default: a connector cannot add `Proxy-Authorization` to
    /// the requests themselves, so a proxy with credentials is always tunnelled.
    #[must_use]
    pub fn forward_http(mut self, forward: bool) -> Self {
        self.forward_http = forward;
        self
    }
}

/// What a hop through one proxy needs, made once per proxy.
struct PreparedProxy {
    scheme: ProxyScheme,
    /// `http://host:port`, for the inner connector.
    uri: Uri,
    /// `Proxy-Authorization` for HTTP and HTTPS proxies.
    auth: Option<HeaderValue>,
    /// User and password for SOCKS5.
    socks_auth: Option<(String, String)>,
    /// The TLS name of an HTTPS proxy.
    server_name: Option<ServerName<'static>>,
    /// The proxy as printed (password as `***`).
    name: Arc<str>,
}

impl PreparedProxy {
    fn new(proxy: &Proxy) -> Result<Self, String> {
        let uri: Uri = format!("http://{}", proxy.authority())
            .parse()
            .map_err(|e| format!("not a URI authority: {e}"))?;
        let credentials = proxy.credentials();
        let (auth, socks_auth) = match proxy.scheme() {
            ProxyScheme::Http | ProxyScheme::Https => (credentials.map(|c| c.basic_auth()), None),
            _ => (
                None,
                credentials.map(|c| {
                    (
                        c.username().to_owned(),
                        c.password().unwrap_or("").to_owned(),
                    )
                }),
            ),
        };
        let server_name = match proxy.scheme() {
            ProxyScheme::Https => Some(
                ServerName::try_from(proxy.host().to_owned())
                    .map_err(|e| format!("not a TLS server name: {e}"))?,
            ),
            _ => None,
        };
        Ok(PreparedProxy {
            scheme: proxy.scheme(),
            uri,
            auth,
            socks_auth,
            server_name,
            name: Arc::from(proxy.to_string()),
        })
    }
}

/// How one proxy hop failed.
enum HopError {
    /// Could not be connected: try the next hop.
    Connect(String),
    /// The proxy asked for credentials.
    Auth,
    /// The proxy was reached and refused.
    Refused(String),
}

impl<C> ProxyConnector<C>
where
    C: Service<Uri> + Clone + Send + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    /// Whether the connections made now are marked not reusable.
    fn single_use(&self) -> bool {
        self.resolver.is_shared() && !self.reuse_across_swaps
    }

    /// The hops to try, resolved before anything is sent.
    fn plan(&self, target: &Target) -> Result<Vec<Planned<PreparedProxy>>, RouteError> {
        self.prepared
            .plan(&self.resolver, target, PreparedProxy::new)
    }

    async fn connect(self, dst: Uri) -> Result<ProxyStream<C::Response>, RouteError> {
        let target = Target::from_uri(&dst).map_err(|error| RouteError::Target {
            url: format!(
                "{}://{}",
                dst.scheme_str().unwrap_or(""),
                dst.host().unwrap_or("")
            ),
            error: Box::new(error),
        })?;
        let plan = self.plan(&target)?;
        let mut tried = Vec::with_capacity(plan.len());
        for step in plan {
            match step {
                Planned::Direct => match self.open(dst.clone()).await {
                    Ok(io) => {
                        return Ok(ProxyStream {
                            io: Io::Plain(io),
                            proxied: false,
                            via: Arc::clone(&self.direct),
                            single_use: self.single_use(),
                        })
                    }
                    Err(reason) => tried.push(HopFailure {
                        hop: self.direct.to_string(),
                        reason,
                    }),
                },
                Planned::Proxy(proxy) => match self.through(&proxy, &dst, &target).await {
                    Ok(stream) => return Ok(stream),
                    Err(HopError::Connect(reason)) => tried.push(HopFailure {
                        hop: proxy.name.to_string(),
                        reason,
                    }),
                    Err(HopError::Auth) => {
                        return Err(RouteError::ProxyAuth {
                            target: target.to_string(),
                            hop: proxy.name.to_string(),
                        })
                    }
                    Err(HopError::Refused(reason)) => {
                        return Err(RouteError::ProxyFailed {
                            target: target.to_string(),
                            hop: proxy.name.to_string(),
                            reason,
                        })
                    }
                },
                Planned::Unusable(failure) => tried.push(failure),
            }
        }
        Err(RouteError::Unreachable {
            target: target.to_string(),
            tried,
        })
    }

    /// A connection by the inner connector, within the timeout.
    async fn open(&self, uri: Uri) -> Result<C::Response, String> {
        let mut inner = self.inner.clone();
        let opening = async move {
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(|e| with_causes(&*e.into()))?;
            inner.call(uri).await.map_err(|e| with_causes(&*e.into()))
        };
        self.timed(opening).await?
    }

    async fn timed<F: Future>(&self, f: F) -> Result<F::Output, String> {
        tokio::time::timeout(self.timeout, f)
            .await
            .map_err(|_| format!("timed out after {:?}", self.timeout))
    }

    async fn through(
        &self,
        proxy: &PreparedProxy,
        dst: &Uri,
        target: &Target,
    ) -> Result<ProxyStream<C::Response>, HopError> {
        let tcp = self
            .open(proxy.uri.clone())
            .await
            .map_err(HopError::Connect)?;
        let io = match proxy.scheme {
            ProxyScheme::Https => Io::Tls(Box::new(self.tls_to(proxy, tcp).await?)),
            _ => Io::Plain(tcp),
        };
        let stream = |io, proxied| ProxyStream {
            io,
            proxied,
            via: Arc::clone(&proxy.name),
            single_use: self.single_use(),
        };
        if self.forward_http
            && matches!(proxy.scheme, ProxyScheme::Http | ProxyScheme::Https)
            && target.scheme() == "http"
            && proxy.auth.is_none()
        {
            return Ok(stream(io, true));
        }
        let dst = with_port(dst, target).map_err(HopError::Refused)?;
        match proxy.scheme {
            ProxyScheme::Http | ProxyScheme::Https => {
                let mut tunnel = Tunnel::new(proxy.uri.clone(), Established(Some(io)));
                if let Some(auth) = &proxy.auth {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                match self.timed(tunnel.call(dst)).await {
                    Ok(Ok(io)) => Ok(stream(io, false)),
                    Ok(Err(e)) if e.to_string().contains("authorization required") => {
                        Err(HopError::Auth)
                    }
                    // Closed or reset before it answered: not a proxy that
                    // refused, one that could not be used.
                    Ok(Err(e)) if broke_off(&e) => Err(HopError::Connect(format!(
                        "{} (the proxy closed the connection before answering the CONNECT)",
                        with_causes(&e)
                    ))),
                    Ok(Err(e)) => Err(HopError::Refused(format!(
                        "{} (the proxy did not open the tunnel)",
                        with_causes(&e)
                    ))),
                    Err(timeout) => Err(HopError::Connect(timeout)),
                }
            }
            _ => {
                let dst = if proxy.scheme.resolves_remotely() || target.ip().is_some() {
                    dst
                } else {
                    self.resolve_here(&dst, target, proxy.scheme).await?
                };
                let handshake = match proxy.scheme {
                    ProxyScheme::Socks4 | ProxyScheme::Socks4a => {
                        let mut socks =
                            SocksV4::new(proxy.uri.clone(), Established(Some(io))).local_dns(false);
                        self.timed(socks.call(dst)).await
                    }
                    _ => {
                        let mut socks =
                            SocksV5::new(proxy.uri.clone(), Established(Some(io))).local_dns(false);
                        if let Some((user, password)) = &proxy.socks_auth {
                            socks = socks.with_auth(user.clone(), password.clone());
                        }
                        self.timed(socks.call(dst)).await
                    }
                };
                match handshake {
                    Ok(Ok(io)) => Ok(stream(io, false)),
                    Ok(Err(e)) if broke_off(&e) => Err(HopError::Connect(format!(
                        "{} (the proxy closed the connection during the handshake)",
                        with_causes(&e)
                    ))),
                    Ok(Err(e)) => Err(HopError::Refused(with_causes(&e))),
                    Err(timeout) => Err(HopError::Connect(timeout)),
                }
            }
        }
    }

    async fn tls_to(
        &self,
        proxy: &PreparedProxy,
        tcp: C::Response,
    ) -> Result<TlsIo<C::Response>, HopError> {
        let (Some(tls), Some(name)) = (&self.tls, &proxy.server_name) else {
            return Err(HopError::Connect(
                "an HTTPS proxy needs a TLS configuration (ProxyConnector::with_tls)".to_owned(),
            ));
        };
        match self
            .timed(tls.connect(name.clone(), TokioIo::new(tcp)))
            .await
        {
            Ok(Ok(stream)) => Ok(TokioIo::new(stream)),
            Ok(Err(e)) => Err(HopError::Connect(format!("TLS to the proxy: {e}"))),
            Err(timeout) => Err(HopError::Connect(format!("TLS to the proxy: {timeout}"))),
        }
    }

    /// SOCKS4 and SOCKS5 without `h`/`a`: the client resolves the name and
    /// hands the proxy an address (IPv4 for SOCKS4).
    async fn resolve_here(
        &self,
        dst: &Uri,
        target: &Target,
        scheme: ProxyScheme,
    ) -> Result<Uri, HopError> {
        let port = dst.port_u16().unwrap_or(80);
        let found = self
            .timed(tokio::net::lookup_host((target.host(), port)))
            .await
            .map_err(HopError::Connect)?
            .map_err(|e| HopError::Connect(format!("resolving {}: {e}", target.host())))?;
        let v4_only = matches!(scheme, ProxyScheme::Socks4);
        let addr: SocketAddr = found
            .into_iter()
            .find(|a| !v4_only || a.is_ipv4())
            .ok_or_else(|| HopError::Connect(format!("{} has no usable address", target.host())))?;
        format!("{}://{addr}/", dst.scheme_str().unwrap_or("http"))
            .parse()
            .map_err(|e| HopError::Refused(format!("{e}")))
    }
}

/// Whether a proxy handshake failed because the connection broke off (closed
/// before the answer, reset), rather than because the proxy answered with a
/// refusal: such a hop counts as unreachable and the next is tried. hyper-util
/// does not export its handshake errors' types, so this reads their I/O cause
/// and, for the tunnel's early end, its text.
fn broke_off(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            );
        }
        cause = e.source();
    }
    // hyper-util's `TunnelError::TunnelUnexpectedEof`.
    error.to_string().contains("unexpected end of file")
}

/// `dst` with an explicit port (hyper-util's proxy connectors take 443 for a
/// URI without one).
fn with_port(dst: &Uri, target: &Target) -> Result<Uri, String> {
    if dst.port().is_some() {
        return Ok(dst.clone());
    }
    let scheme = dst.scheme_str().unwrap_or("http");
    let port = target.port().unwrap_or(match scheme {
        "https" | "wss" => 443,
        _ => 80,
    });
    let host = dst.host().unwrap_or_default();
    format!("{scheme}://{host}:{port}/")
        .parse()
        .map_err(|e| format!("{e}"))
}

impl<C> Service<Uri> for ProxyConnector<C>
where
    C: Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = ProxyStream<C::Response>;
    type Error = RouteError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, RouteError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), RouteError>> {
        // The inner connector is made ready on its clone, per hop.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        Box::pin(self.clone().connect(dst))
    }
}

/// Hands an open connection to hyper-util's proxy handshakes, which expect a
/// connector.
struct Established<T>(Option<T>);

impl<T> Service<Uri> for Established<T> {
    type Response = T;
    type Error = io::Error;
    type Future = std::future::Ready<Result<T, io::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _proxy: Uri) -> Self::Future {
        std::future::ready(
            self.0
                .take()
                .ok_or_else(|| io::Error::other("the connection was already handed over")),
        )
    }
}

type TlsIo<T> = TokioIo<tokio_rustls::client::TlsStream<TokioIo<T>>>;

enum Io<T> {
    Plain(T),
    Tls(Box<TlsIo<T>>),
}

impl<T: Read + Write + Unpin> Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Io::Tls(io) => Pin::new(&mut **io).poll_read(cx, buf),
        }
    }
}

impl<T: Read + Write + Unpin> Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Io::Tls(io) => Pin::new(&mut **io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_flush(cx),
            Io::Tls(io) => Pin::new(&mut **io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Io::Tls(io) => Pin::new(&mut **io).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Io::Plain(io) => io.is_write_vectored(),
            Io::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Io::Tls(io) => Pin::new(&mut **io).poll_write_vectored(cx, bufs),
        }
    }
}

/// A connection made by [`ProxyConnector`]: to the destination, through a
/// tunnel, or (with [`forward_http`](ProxyConnector::forward_http)) to a
/// proxy that takes absolute-form requests.
pub struct ProxyStream<T> {
    io: Io<T>,
    proxied: bool,
    via: Arc<str>,
    /// Marked not reusable for hyper-util's pool (a shared resolver's route
    /// may change before the next request).
    single_use: bool,
}

impl<T> ProxyStream<T> {
    /// The hop that carried the connection.
    pub fn via(&self) -> Via {
        Via(Arc::clone(&self.via))
    }
}

impl<T> fmt::Debug for ProxyStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyStream")
            .field("via", &self.via)
            .field("tls_to_proxy", &matches!(self.io, Io::Tls(_)))
            .field("proxied", &self.proxied)
            .field("single_use", &self.single_use)
            .finish()
    }
}

impl<T: Read + Write + Unpin> Read for ProxyStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Read + Write + Unpin> Write for ProxyStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

impl<T: Connection> Connection for ProxyStream<T> {
    fn connected(&self) -> Connected {
        let connected = match &self.io {
            Io::Plain(io) => io.connected(),
            Io::Tls(io) => io.inner().get_ref().0.inner().connected(),
        };
        let connected = connected.proxy(self.proxied).extra(self.via());
        if self.single_use {
            // hyper-util's pool reuses a connection without asking the
            // connector; a poisoned one it drops instead.
            connected.poison();
        }
        connected
    }
}

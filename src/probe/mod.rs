//! Probe a route: connect along it, step by step, and say what went wrong.
//!
//! A [`Prober`] asks a [`Resolver`] for a URL's route, then walks each hop as
//! a client would: it looks the proxy up, connects, speaks `CONNECT` or SOCKS,
//! does TLS with the origin through the tunnel and sends one `GET`. Each step
//! gets its own timeout (5 seconds unless [`Prober::timeout`] says otherwise)
//! and ends in a typed [`Finding`] or [`Problem`]. When a hop fails the next
//! hop of the route is probed, as a client with failover would; the probe
//! stops at the first hop that gets an HTTP status from the origin.
//!
//! The probe connects only to the route's hops and to the URL's origin (for
//! a `DIRECT` hop). It sends the proxy's Basic credentials when the proxy URL
//! has them, and no other credentials; no password appears in a
//! [`ProbeReport`], its `Display` or its JSON.
//!
//! Needs the `probe` feature.
//!
//! ```no_run
//! use std::time::Duration;
//! use proxyroute::probe::Prober;
//! use proxyroute::Resolver;
//!
//! let resolver = Resolver::builder().proxy("http://proxy.example:3128").build()?;
//! let report = Prober::new(&resolver)
//!     .timeout(Duration::from_secs(3))
//!     .probe("https://example.com/")?;
//! print!("{report}"); // the steps, each with its timing and diagnosis
//! println!("{}", report.to_json()); // the same as one JSON object
//! if let Some(status) = report.status() {
//!     println!("the origin answered {status}");
//! }
//! # Ok::<(), proxyroute::Error>(())
//! ```

mod der;
mod diagnosis;
mod http;
mod net;
mod render;
mod socks;
mod tls;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;

pub use diagnosis::{
    AuthScheme, CertProblem, Finding, Interception, Malformed, NameSide, Problem, SocksMethod,
    TlsInfo, Trust,
};

use crate::error::{Error, ErrorKind, Origin, Result};
use crate::proxy::{Proxy, ProxyScheme};
use crate::resolver::Resolver;
use crate::route::Hop;
use crate::target::Target;
use net::{Deadline, Stream, Timed};
use socks::Dest;

#[cfg(doctest)]
#[doc = include_str!("../../docs/probe.md")]
struct GuideDoctests;

/// The default timeout of each step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Probes the routes a [`Resolver`] gives; see the [module docs](self).
#[derive(Debug)]
pub struct Prober<'r> {
    resolver: &'r Resolver,
    timeout: Duration,
    extra_roots: Vec<CertificateDer<'static>>,
    roots: OnceLock<Arc<tls::Roots>>,
}

impl<'r> Prober<'r> {
    /// A prober for `resolver`'s routes, with the default timeout and the
    /// system's roots.
    pub fn new(resolver: &'r Resolver) -> Self {
        Prober {
            resolver,
            timeout: DEFAULT_TIMEOUT,
            extra_roots: Vec::new(),
            roots: OnceLock::new(),
        }
    }

    /// The timeout of each step (name lookup, connect, handshake, answer).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Trusts the PEM certificates in `pem` as roots too, besides the
    /// system's (a corporate or test CA). `source` names them in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Certificates`] when the text holds no PEM certificate or
    /// one that cannot be a root.
    pub fn ca_pem(mut self, pem: &[u8], source: &str) -> Result<Self> {
        let certs = tls::parse_pem(pem)
            .map_err(|why| Error::new(ErrorKind::Certificates(why), Origin::setting(source), ""))?;
        self.extra_roots.extend(certs);
        self.roots = OnceLock::new();
        Ok(self)
    }

    /// [`ca_pem`](Prober::ca_pem) with the contents of a file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Certificates`] naming the file when it cannot be read or
    /// holds no usable certificate.
    pub fn ca_file(self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| {
            Error::new(
                ErrorKind::Certificates(format!("cannot read it: {e}")),
                Origin::setting("CA file"),
                &shown,
            )
        })?;
        let certs = tls::parse_pem(&text).map_err(|why| {
            Error::new(
                ErrorKind::Certificates(why),
                Origin::setting("CA file"),
                &shown,
            )
        })?;
        Ok(Prober {
            extra_roots: self.extra_roots.into_iter().chain(certs).collect(),
            roots: OnceLock::new(),
            ..self
        })
    }

    /// Resolves `url`'s route and probes it.
    ///
    /// # Errors
    ///
    /// The URL's parse error, or [`ErrorKind::Unsupported`] for a scheme the
    /// probe does not speak (it speaks `http`, `https`, `ws` and `wss`). A
    /// route that cannot be reached is not an error: the report says why.
    pub fn probe(&self, url: &str) -> Result<ProbeReport> {
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::new(ErrorKind::InvalidUrl, Origin::Text, url))?;
        let target = Target::from_url(&parsed)?;
        let tls = match target.scheme() {
            "https" | "wss" => true,
            "http" | "ws" => false,
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported("the probe speaks http, https, ws and wss"),
                    Origin::Text,
                    url,
                ))
            }
        };
        let mut shown = parsed.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        let mut path = parsed.path().to_owned();
        if let Some(q) = parsed.query() {
            path.push('?');
            path.push_str(q);
        }
        let want = Want {
            target: &target,
            port: target.port().unwrap_or(if tls { 443 } else { 80 }),
            tls,
            path,
        };
        let route = self.resolver.resolve(&target);
        let mut report = ProbeReport {
            url: shown.to_string(),
            route: route.hops().map(|h| h.to_string()).collect(),
            refused: route.error().map(ToString::to_string),
            attempts: Vec::new(),
        };
        for hop in route.hops() {
            let attempt = self.attempt(hop, &want);
            let done = attempt.status().is_some();
            report.attempts.push(attempt);
            if done {
                break;
            }
        }
        Ok(report)
    }

    fn roots(&self) -> Arc<tls::Roots> {
        self.roots
            .get_or_init(|| Arc::new(tls::Roots::load(&self.extra_roots)))
            .clone()
    }

    fn attempt(&self, hop: Hop<'_>, want: &Want<'_>) -> Attempt {
        let mut run = Run {
            prober: self,
            steps: Vec::new(),
            deadline: Deadline::new(self.timeout),
        };
        let _ = match hop {
            Hop::Proxy(proxy) => run.via_proxy(proxy, want),
            _ => run.direct(want),
        };
        Attempt {
            hop: hop.to_string(),
            steps: run.steps,
        }
    }
}

/// What the URL asks for.
struct Want<'a> {
    target: &'a Target,
    port: u16,
    tls: bool,
    path: String,
}

impl Want<'_> {
    /// `host:port` as `CONNECT` and `Host` write it.
    fn authority(&self) -> String {
        format!("{}:{}", self.target.host_in_url(), self.port)
    }

    fn host_header(&self) -> String {
        if self.target.has_explicit_port() {
            self.authority()
        } else {
            self.target.host_in_url().to_owned()
        }
    }
}

/// A marker: the step failed and was recorded; stop this hop.
struct Stop;

/// One hop being probed.
struct Run<'p, 'r> {
    prober: &'p Prober<'r>,
    steps: Vec<Step>,
    deadline: Deadline,
}

const USER_AGENT: &str = concat!("proxyroute-probe/", env!("CARGO_PKG_VERSION"));

impl Run<'_, '_> {
    /// Runs one step with a fresh deadline and records it.
    fn step<T>(
        &mut self,
        kind: StepKind,
        target: String,
        f: impl FnOnce(&mut Self) -> std::result::Result<(T, Finding), Problem>,
    ) -> std::result::Result<T, Stop> {
        self.deadline.restart(self.prober.timeout);
        let start = Instant::now();
        let result = f(self);
        let elapsed = start.elapsed();
        let (value, outcome) = match result {
            Ok((value, finding)) => (Ok(value), Outcome::Done(finding)),
            Err(problem) => (Err(Stop), Outcome::Failed(problem)),
        };
        self.steps.push(Step {
            kind,
            target,
            elapsed,
            outcome,
        });
        value
    }

    fn timeout(&self) -> Duration {
        self.prober.timeout
    }

    /// Looks up and connects to `host:port`; `proxy_name` when it is a proxy.
    fn open(
        &mut self,
        host: &str,
        port: u16,
        proxy_name: bool,
    ) -> std::result::Result<Box<dyn Stream>, Stop> {
        let timeout = self.timeout();
        let addrs = match host.parse::<std::net::IpAddr>() {
            // An address needs no lookup, and gets no step.
            Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
            Err(_) => self.step(StepKind::Resolve, host.to_owned(), |_| {
                let addrs = net::resolve(host, port, timeout, proxy_name)?;
                let ips = addrs.iter().map(|a| a.ip()).collect();
                Ok((addrs, Finding::Resolved { addrs: ips }))
            })?,
        };
        let shown = match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{host}]:{port}"),
            Err(_) => format!("{host}:{port}"),
        };
        let sock = self.step(StepKind::Connect, shown, |_| {
            let sock = net::connect(&addrs, timeout)?;
            let addr = sock.peer_addr().map_err(|e| net::problem(&e, timeout))?;
            Ok((sock, Finding::Connected { addr }))
        })?;
        Ok(Box::new(Timed::new(sock, self.deadline.clone())))
    }

    /// TLS with `server`; `proxy_issuer` is the issuer of the proxy's own
    /// certificate (an `https://` proxy), `through` whether a proxy relays.
    fn tls(
        &mut self,
        kind: StepKind,
        stream: Box<dyn Stream>,
        server: &str,
        through: Option<&Proxy>,
        proxy_issuer: Option<&str>,
    ) -> std::result::Result<(Box<dyn Stream>, TlsInfo), Stop> {
        let roots = self.prober.roots();
        let timeout = self.timeout();
        let http_proxy = through.is_some_and(|p| !p.scheme().is_socks());
        let judge = |mut info: TlsInfo| {
            if http_proxy {
                info.interception = if proxy_issuer == Some(info.issuer.as_str()) {
                    Some(Interception::ProxyIssuer)
                } else {
                    // Extra roots are CAs the caller named: an internal
                    // origin's CA as likely as the proxy's, so no verdict.
                    match &info.trust {
                        Trust::SystemStoreOnly => Some(Interception::LocalRoot),
                        Trust::Untrusted(CertProblem::UnknownIssuer) => {
                            Some(Interception::UnknownIssuer)
                        }
                        _ => None,
                    }
                };
            }
            info
        };
        self.step(kind, server.to_owned(), |_| {
            match tls::handshake(stream, server, &roots, timeout) {
                Ok((stream, info)) => {
                    let info = judge(info);
                    Ok(((stream, info.clone()), Finding::Tls(info)))
                }
                Err(Problem::TlsUntrusted(info)) => Err(Problem::TlsUntrusted(judge(info))),
                Err(p) => Err(p),
            }
        })
    }

    /// Sends `request` and reads the answer's head; `proxy` when the answer
    /// comes from a proxy that may refuse or want credentials.
    fn request(
        &mut self,
        kind: StepKind,
        stream: &mut dyn Stream,
        shown: String,
        request: &str,
        proxy: Option<&Proxy>,
    ) -> std::result::Result<u16, Stop> {
        let timeout = self.timeout();
        let tunnel = kind == StepKind::Tunnel;
        self.step(kind, shown, |_| {
            stream
                .write_all(request.as_bytes())
                .and_then(|()| stream.flush())
                .map_err(|e| net::problem(&e, timeout))?;
            let head = http::read_head(stream, timeout)?;
            let from_proxy = tunnel
                || head.header("proxy-status").is_some()
                || head.header("x-squid-error").is_some();
            if let Some(proxy) = proxy {
                if head.status == 407
                    && (tunnel || from_proxy || head.header("proxy-authenticate").is_some())
                {
                    return Err(Problem::ProxyAuth {
                        offered: head.proxy_auth_schemes(),
                        sent: proxy.credentials().is_some(),
                    });
                }
                if from_proxy && !(200..300).contains(&head.status) {
                    let title = http::read_title(stream, &head);
                    return Err(Problem::ProxyRefused {
                        tunnel,
                        status: head.status,
                        reason: head.reason,
                        title,
                    });
                }
            }
            let finding = if tunnel {
                Finding::TunnelOpen {
                    status: head.status,
                }
            } else {
                Finding::Status {
                    code: head.status,
                    reason: head.reason,
                }
            };
            Ok((head.status, finding))
        })
    }

    fn origin_request(&self, want: &Want<'_>, absolute: Option<&Proxy>) -> String {
        let mut req = match absolute {
            Some(_) => format!(
                "GET {}://{}{} HTTP/1.1\r\n",
                if want.tls { "https" } else { "http" },
                want.host_header(),
                want.path
            ),
            None => format!("GET {} HTTP/1.1\r\n", want.path),
        };
        req.push_str(&format!(
            "Host: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n",
            want.host_header()
        ));
        if let Some(creds) = absolute.and_then(Proxy::credentials) {
            req.push_str("Proxy-Authorization: ");
            req.push_str(creds.basic_auth().to_str().unwrap_or(""));
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        req
    }

    fn direct(&mut self, want: &Want<'_>) -> std::result::Result<(), Stop> {
        let host = want.target.host();
        let mut stream = self.open(host, want.port, false)?;
        if want.tls {
            stream = self.tls(StepKind::Tls, stream, host, None, None)?.0;
        }
        let request = self.origin_request(want, None);
        self.request(
            StepKind::Request,
            &mut *stream,
            format!("GET {}", want.path),
            &request,
            None,
        )?;
        Ok(())
    }

    fn via_proxy(&mut self, proxy: &Proxy, want: &Want<'_>) -> std::result::Result<(), Stop> {
        let mut stream = self.open(proxy.host(), proxy.port(), true)?;
        let mut proxy_issuer = None;
        if proxy.scheme() == ProxyScheme::Https {
            let (s, info) = self.tls(StepKind::ProxyTls, stream, proxy.host(), None, None)?;
            stream = s;
            proxy_issuer = Some(info.issuer);
        }
        if proxy.scheme().is_socks() {
            self.socks(proxy, want, &mut *stream)?;
        } else if want.tls {
            let mut connect = format!(
                "CONNECT {a} HTTP/1.1\r\nHost: {a}\r\nUser-Agent: {USER_AGENT}\r\n",
                a = want.authority()
            );
            if let Some(creds) = proxy.credentials() {
                connect.push_str("Proxy-Authorization: ");
                connect.push_str(creds.basic_auth().to_str().unwrap_or(""));
                connect.push_str("\r\n");
            }
            connect.push_str("\r\n");
            let shown = format!("CONNECT {}", want.authority());
            let status =
                self.request(StepKind::Tunnel, &mut *stream, shown, &connect, Some(proxy))?;
            let _ = status;
        } else {
            let request = self.origin_request(want, Some(proxy));
            let shown = format!("GET http://{}{}", want.host_header(), want.path);
            self.request(
                StepKind::Request,
                &mut *stream,
                shown,
                &request,
                Some(proxy),
            )?;
            return Ok(());
        }
        if want.tls {
            let server = want.target.host();
            stream = self
                .tls(
                    StepKind::Tls,
                    stream,
                    server,
                    Some(proxy),
                    proxy_issuer.as_deref(),
                )?
                .0;
        }
        let request = self.origin_request(want, None);
        self.request(
            StepKind::Request,
            &mut *stream,
            format!("GET {}", want.path),
            &request,
            None,
        )?;
        Ok(())
    }

    fn socks(
        &mut self,
        proxy: &Proxy,
        want: &Want<'_>,
        stream: &mut dyn Stream,
    ) -> std::result::Result<(), Stop> {
        let timeout = self.timeout();
        let scheme = proxy.scheme();
        let host = want.target.host();
        let dest = match want.target.ip() {
            Some(ip) => Dest::Ip(ip),
            None if scheme.resolves_remotely() => Dest::Name(host),
            None => {
                // socks5:// and socks4:// resolve the name here.
                let addrs = self.step(StepKind::Resolve, host.to_owned(), |_| {
                    let addrs = net::resolve(host, want.port, timeout, false)?;
                    let ips = addrs.iter().map(|a| a.ip()).collect();
                    Ok((addrs, Finding::Resolved { addrs: ips }))
                })?;
                let pick = if scheme == ProxyScheme::Socks4 {
                    addrs.iter().find(|a| a.is_ipv4())
                } else {
                    addrs.first()
                };
                match pick {
                    Some(a) => Dest::Ip(a.ip()),
                    None => {
                        let problem = Problem::NoIpv4 {
                            host: host.to_owned(),
                        };
                        self.steps.push(Step {
                            kind: StepKind::SocksConnect,
                            target: want.authority(),
                            elapsed: Duration::ZERO,
                            outcome: Outcome::Failed(problem),
                        });
                        return Err(Stop);
                    }
                }
            }
        };
        let creds = proxy.credentials();
        if matches!(scheme, ProxyScheme::Socks5 | ProxyScheme::Socks5h) {
            let shown = proxy.authority();
            let method = self.step(StepKind::SocksGreeting, shown.clone(), |_| {
                let m = socks::greet(stream, creds, timeout)?;
                Ok((m, Finding::SocksMethod(m)))
            })?;
            if let (SocksMethod::UserPassword, Some(creds)) = (method, creds) {
                self.step(StepKind::SocksAuth, shown, |_| {
                    socks::authenticate(stream, creds, timeout).map(|f| ((), f))
                })?;
            }
            self.step(StepKind::SocksConnect, want.authority(), |_| {
                socks::connect5(stream, &dest, want.port, timeout).map(|f| ((), f))
            })?;
        } else {
            let user = creds.map_or("", |c| c.username());
            self.step(StepKind::SocksConnect, want.authority(), |_| {
                socks::connect4(stream, &dest, want.port, user, timeout).map(|f| ((), f))
            })?;
        }
        Ok(())
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepKind {
    /// Look a host name up.
    Resolve,
    /// Open a TCP connection.
    Connect,
    /// TLS with an `https://` proxy.
    ProxyTls,
    /// SOCKS5 method negotiation.
    SocksGreeting,
    /// SOCKS5 user/password authentication.
    SocksAuth,
    /// The SOCKS connect request.
    SocksConnect,
    /// The HTTP proxy's `CONNECT` tunnel.
    Tunnel,
    /// TLS with the origin (through the tunnel, or direct).
    Tls,
    /// The HTTP request and the response's status.
    Request,
}

impl StepKind {
    /// A short name: `resolve`, `connect`, `proxy-tls`, `socks-greeting`,
    /// `socks-auth`, `socks-connect`, `tunnel`, `tls`, `request`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Resolve => "resolve",
            StepKind::Connect => "connect",
            StepKind::ProxyTls => "proxy-tls",
            StepKind::SocksGreeting => "socks-greeting",
            StepKind::SocksAuth => "socks-auth",
            StepKind::SocksConnect => "socks-connect",
            StepKind::Tunnel => "tunnel",
            StepKind::Tls => "tls",
            StepKind::Request => "request",
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It worked, and found this.
    Done(Finding),
    /// It failed.
    Failed(Problem),
}

/// One step of a hop's probe.
#[derive(Debug, Clone)]
pub struct Step {
    kind: StepKind,
    target: String,
    elapsed: Duration,
    outcome: Outcome,
}

impl Step {
    /// What the step does.
    pub fn kind(&self) -> StepKind {
        self.kind
    }

    /// What it did it to: a host name, `host:port`, `CONNECT host:port`, `GET /path`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// How long it took.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The problem, when it failed.
    pub fn problem(&self) -> Option<&Problem> {
        match &self.outcome {
            Outcome::Failed(p) => Some(p),
            Outcome::Done(_) => None,
        }
    }

    /// What to do about the step's problem, or about TLS interception seen
    /// at a step that worked.
    pub fn hint(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Failed(p) => p.hint(),
            Outcome::Done(Finding::Tls(info)) => info.hint(),
            Outcome::Done(_) => None,
        }
    }
}

/// The probe of one hop of the route.
#[derive(Debug, Clone)]
pub struct Attempt {
    hop: String,
    steps: Vec<Step>,
}

impl Attempt {
    /// The hop, `DIRECT` or the proxy URL without its password.
    pub fn hop(&self) -> &str {
        &self.hop
    }

    /// The steps, in order; the last one failed unless the hop worked.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The origin's HTTP status, when the hop got that far.
    pub fn status(&self) -> Option<u16> {
        match self.steps.last().map(|s| &s.outcome) {
            Some(Outcome::Done(Finding::Status { code, .. })) => Some(*code),
            _ => None,
        }
    }

    /// The step that failed, if one did.
    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.problem().is_some())
    }
}

/// The result of probing one URL; `Display` gives the human form and
/// [`to_json`](ProbeReport::to_json) one JSON object.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    url: String,
    route: Vec<String>,
    refused: Option<String>,
    attempts: Vec<Attempt>,
}

impl ProbeReport {
    /// The URL probed (its password, if any, as `***`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The route's hops as text, without passwords.
    pub fn route(&self) -> &[String] {
        &self.route
    }

    /// Why the resolver gave no route, when it refused.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// One attempt per hop tried, in route order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The origin's HTTP status through the first hop that worked.
    pub fn status(&self) -> Option<u16> {
        self.attempts.iter().find_map(Attempt::status)
    }

    /// Whether some hop reached the origin and got an HTTP status.
    pub fn succeeded(&self) -> bool {
        self.status().is_some()
    }

    /// The first failed step of the first hop (the one a client without
    /// failover would report).
    pub fn failure(&self) -> Option<&Step> {
        self.attempts.first().and_then(Attempt::failure)
    }

    /// The hints of every step, once each.
    pub fn hints(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for hint in self
            .attempts
            .iter()
            .flat_map(|a| a.steps.iter())
            .filter_map(Step::hint)
        {
            if !out.contains(&hint) {
                out.push(hint);
            }
        }
        out
    }
}

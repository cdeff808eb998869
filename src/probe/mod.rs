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
mod walk;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::CertificateDer;

pub use diagnosis::{
    AuthScheme, CertProblem, Finding, Interception, Malformed, NameSide, Problem, SocksMethod,
    TlsInfo, Trust,
};

use crate::error::{Error, ErrorKind, Origin, Result};
use crate::resolver::Resolver;
use crate::target::Target;
use walk::Want;

#[cfg(doctest)]
#[doc = include_str!("../../docs/probe.md")]
struct GuideDoctests;

/// The default timeout of each step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Probes the routes a [`Resolver`] gives; see the [module docs](self).
pub struct Prober<'r> {
    resolver: &'r Resolver,
    timeout: Duration,
    extra_roots: Vec<CertificateDer<'static>>,
    roots: OnceLock<Arc<tls::Roots>>,
}

impl std::fmt::Debug for Prober<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("resolver", self.resolver)
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
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
            let attempt = walk::attempt(self, hop, &want);
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

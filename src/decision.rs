//! [`Decision`]: a route together with the reason for it.

use std::fmt;

use crate::error::{Error, ErrorKind, Violation, ViolationKind};
use crate::proxy::Proxy;
use crate::route::{Hop, Route};
use crate::target::Target;

/// Which layer of the configuration decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The request's own setting.
    Request,
    /// Explicitly configured ("custom" or "global") proxies.
    Custom,
    /// Proxy environment variables, read under a dialect.
    Environment,
    /// The operating system's proxy settings (GNOME, KDE, sysconfig,
    /// Windows, macOS), including the PAC script they name.
    System,
    /// Nothing was configured.
    None,
}

impl Layer {
    /// A short lower-case name: `request`, `custom`, `env`, `system` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Request => "request",
            Layer::Custom => "custom",
            Layer::Environment => "env",
            Layer::System => "system",
            Layer::None => "none",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The bypass rule that sent a request direct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRule {
    pub(crate) text: String,
    pub(crate) index: Option<usize>,
    pub(crate) source: String,
}

impl MatchedRule {
    /// The entry as written, or a description of an implicit rule.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The entry's position (from 0) in its list; `None` for an implicit rule.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// Where the list came from: `env:NO_PROXY`, `custom:bypass`, `implicit:go`.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Where a [`Decision`]'s answer came from, as data: the variable, setting,
/// Postman config, bypass entry or PAC script. [`Decision::source`] is its
/// short text (this type's `Display`); [`Decision::reason`] words it for
/// people.
///
/// ```
/// use proxyroute::{Dialect, Provenance, Resolver};
/// let resolver = Resolver::builder()
///     .dialect(Dialect::Curl)
///     .env_vars([
///         ("https_proxy", "http://proxy.corp.example:3128"),
///         ("no_proxy", "localhost,.internal.example"),
///     ])
///     .build()?;
/// let via = resolver.explain(&"https://example.com/".parse()?);
/// assert_eq!(via.provenance(), &Provenance::Variable("https_proxy".into()));
/// assert_eq!(via.source(), "env:https_proxy");
/// let direct = resolver.explain(&"https://db.internal.example/".parse()?);
/// assert_eq!(
///     direct.provenance(),
///     &Provenance::Bypass { list: "env:no_proxy".into(), index: Some(1) }
/// );
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provenance {
    /// The request's own setting.
    Request,
    /// A proxy variable, by the name read (`HTTPS_PROXY`, `all_proxy`).
    Variable(String),
    /// The environment is read, and no variable the dialect reads serves
    /// the request's scheme.
    NoVariable,
    /// A configured setting, by its label: `custom:proxy`,
    /// `custom:https_proxy`, `custom:proxy-rules socks=`, or a system
    /// store's key (`gnome:org.gnome.system.proxy.https host`).
    Setting {
        /// The layer the setting belongs to.
        layer: Layer,
        /// Its label.
        name: String,
    },
    /// A Postman proxy config.
    PostmanConfig {
        /// Its position (from 0) in the list.
        index: usize,
        /// Its label (`custom:postman[1]`).
        name: String,
    },
    /// A bypass list sent the request directly; [`Decision::rule`] has the
    /// entry's text.
    Bypass {
        /// The list's label: `env:NO_PROXY`, `custom:bypass`, a system key,
        /// or `implicit:DIALECT` for the rules a tool applies on its own.
        list: String,
        /// The entry's position (from 0); `None` for an implicit rule, or
        /// a reversed list that does not name the host.
        index: Option<usize>,
    },
    /// A PAC script answered, or failed to.
    Pac {
        /// The layer that named the script.
        layer: Layer,
        /// The setting that named it: `custom:pac`, or the system key.
        name: String,
        /// Where it was loaded from (a password shown as `***`).
        location: String,
        /// The line (from 1) of the `return` that answered, when known.
        line: Option<u32>,
    },
    /// Nothing is configured.
    Nothing,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Request => f.write_str("request"),
            Provenance::Variable(name) => write!(f, "env:{name}"),
            Provenance::NoVariable => f.write_str("env"),
            Provenance::Setting { name, .. }
            | Provenance::PostmanConfig { name, .. }
            | Provenance::Pac { name, .. } => f.write_str(name),
            Provenance::Bypass { list, .. } => f.write_str(list),
            Provenance::Nothing => f.write_str("none"),
        }
    }
}

/// An owned hop, as a [`Decision`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HopBuf {
    /// Connect directly.
    Direct,
    /// Connect through this proxy.
    Proxy(Proxy),
}

impl From<Hop<'_>> for HopBuf {
    fn from(hop: Hop<'_>) -> Self {
        match hop {
            Hop::Direct => HopBuf::Direct,
            Hop::Proxy(p) => HopBuf::Proxy(p.clone()),
        }
    }
}

impl fmt::Display for HopBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HopBuf::Direct => f.write_str("DIRECT"),
            HopBuf::Proxy(p) => write!(f, "{p}"),
        }
    }
}

/// A route and why: the layer that decided, the variable or setting the proxy
/// came from, the bypass rule that matched, and the problems met on the way.
///
/// Nothing in a decision shows a password: proxies print as `user:***@host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub(crate) hops: Vec<HopBuf>,
    pub(crate) error: Option<Error>,
    pub(crate) layer: Layer,
    pub(crate) provenance: Provenance,
    /// The provenance's text, kept for [`Decision::source`].
    pub(crate) source: String,
    pub(crate) reason: String,
    pub(crate) rule: Option<MatchedRule>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) target: Target,
}

impl Decision {
    /// The request this decision is for.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The route, as [`Resolver::resolve`](crate::Resolver::resolve) gives it.
    pub fn route(&self) -> Route<'_> {
        if let Some(e) = &self.error {
            return Route::refused(e);
        }
        Route::hop_list(&self.hops)
    }

    /// The hops in order (none when refused).
    pub fn hops(&self) -> &[HopBuf] {
        &self.hops
    }

    /// Why no route could be given, if so.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The layer that decided.
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// Where the answer came from: `env:HTTPS_PROXY`, `custom:proxy`,
    /// `env:NO_PROXY`, `request`, `none` (the [`provenance`](Self::provenance)'s
    /// text).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the answer came from, as data: the variable, setting, Postman
    /// config, bypass entry or PAC script.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// A sentence or two for people.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The bypass rule that matched, if one sent the request direct.
    pub fn rule(&self) -> Option<&MatchedRule> {
        self.rule.as_ref()
    }

    /// Every problem met while reading the configuration, in all its
    /// layers (not only the one that decided), and, when a PAC script
    /// decided, the bad entries of its answer (and, with
    /// `pac_failure_direct`, its failure).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Likely fixes for this request, for people: what a 407 would mean, a
    /// proxy value that is not a URL, a variable the CGI guard ignores, and any
    /// bypass entry that looks meant for this host but can never match.
    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        if let Some(e) = &self.error {
            hints.push(match e.kind() {
                ErrorKind::CgiRefused => "Go refuses HTTP_PROXY when REQUEST_METHOD is set (a CGI \
                    environment, where a client's Proxy: header can set it). Unset REQUEST_METHOD \
                    outside CGI, or configure the proxy explicitly."
                    .to_owned(),
                ErrorKind::PacNotEvaluated => "A proxy auto-config script decides here; this build \
                    cannot evaluate it. Fetch the script and check what FindProxyForURL returns, or \
                    configure the proxy explicitly."
                    .to_owned(),
                ErrorKind::Pac(_) => format!(
                    "The PAC script could not be fetched, loaded or run; check what it answers with \
                     `proxyroute --pac URL` (the script's location: {}), or configure the proxy \
                     explicitly. Nothing is sent directly in its place.",
                    e.origin()
                ),
                _ => format!(
                    "{} is not a usable proxy: write it as http://host:port (or socks5h://host:port).",
                    e.origin()
                ),
            });
        }
        if let Some(HopBuf::Proxy(p)) = self.hops.first().filter(|_| self.error.is_none()) {
            use crate::ProxyScheme;
            let socks = p.scheme().is_socks();
            hints.push(match p.credentials() {
                None if socks => "If the SOCKS proxy refuses the connection, it may want a \
                                   user name and password: socks5://user:password@host:port."
                    .to_owned(),
                Some(_) if socks => "If the SOCKS proxy still refuses, the user name or password \
                                     is wrong (SOCKS4 carries a user id only, no password)."
                    .to_owned(),
                None => "If the proxy answers 407 Proxy Authentication Required, add credentials: \
                         http://user:password@host:port (percent-encode @ : / % and spaces)."
                    .to_owned(),
                Some(_) => {
                    "If the proxy still answers 407, the user name or password is wrong, or \
                            the proxy wants another scheme than Basic (NTLM, Negotiate)."
                        .to_owned()
                }
            });
            let named = self.target.host().parse::<std::net::IpAddr>().is_err();
            if named && matches!(p.scheme(), ProxyScheme::Socks5 | ProxyScheme::Socks4) {
                hints.push(format!(
                    "{} resolves {} on this machine and sends the proxy an address; if the name \
                     only resolves inside the proxy's network, use {} so that the proxy resolves it.",
                    p.scheme(),
                    self.target.host(),
                    if p.scheme() == ProxyScheme::Socks5 { "socks5h://" } else { "socks4a:// or socks5h://" },
                ));
            }
            if self.target.scheme() == "https" && p.scheme() == ProxyScheme::Http {
                hints.push(
                    "HTTPS travels through the proxy in a CONNECT tunnel; if TLS fails only behind \
                     the proxy, it may be intercepting TLS (trust its CA) or blocking the port."
                        .to_owned(),
                );
            }
        }
        for v in &self.violations {
            if self.concerns(v) {
                hints.push(match v.kind() {
                    ViolationKind::NeverMatches(_) => {
                        format!(
                            "This bypass entry looks meant for {} but does nothing: {v}.",
                            self.target.host()
                        )
                    }
                    _ => format!("{v}."),
                });
            }
        }
        hints
    }

    /// Whether a violation bears on this request: an entry naming this host or
    /// one of its parent domains, or a variable this request would have read.
    fn concerns(&self, v: &Violation) -> bool {
        match v.kind() {
            ViolationKind::Ignored(_) => match v.origin() {
                crate::Origin::Env(var) if var.eq_ignore_ascii_case("http_proxy") => {
                    self.target.scheme() == "http"
                }
                _ => v.index().is_none(),
            },
            // A value that does not parse is this request's error when it matters.
            ViolationKind::Invalid(_) if v.index().is_none() => false,
            _ if v.index().is_some() => {
                let entry = v.text().to_ascii_lowercase();
                let entry = entry.trim_start_matches(['*', '.']);
                let entry = match entry.rsplit_once(':') {
                    Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
                    _ => entry,
                };
                let entry = entry.trim_matches(['[', ']']).trim_end_matches('.');
                let host = self.target.host();
                // A CIDR entry that holds this address.
                if let (Ok(net), Ok(addr)) = (
                    entry.parse::<ipnet::IpNet>(),
                    host.parse::<std::net::IpAddr>(),
                ) {
                    return net.contains(&addr);
                }
                !entry.is_empty()
                    && (host == entry
                        || host
                            .strip_suffix(entry)
                            .is_some_and(|rest| rest.ends_with('.')))
            }
            _ => true,
        }
    }
}

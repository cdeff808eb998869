//! What one side did with one case: the first hop, as each tool lets us see
//! it, and proxyroute's answer in the same terms.

use std::fmt;

use proxyroute::{Dialect, Hop, Resolver, Target};

use crate::corpus::Case;

/// The four real programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tool {
    Curl,
    Python,
    Go,
    Node,
}

impl Tool {
    pub(crate) fn dialect(self) -> Dialect {
        match self {
            Tool::Curl => Dialect::Curl,
            Tool::Python => Dialect::Python,
            Tool::Go => Dialect::Go,
            Tool::Node => Dialect::Node,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Curl => "curl",
            Tool::Python => "python",
            Tool::Go => "go",
            Tool::Node => "node",
        }
    }

    /// How much of the proxy's scheme the tool lets us see.
    fn scheme_view(self, scheme: &str) -> String {
        let scheme = scheme.to_ascii_lowercase();
        match self {
            // The first bytes on the wire: curl's `--connect-to` hands the
            // SOCKS request an address, so 4 and 4a, 5 and 5h look alike.
            Tool::Curl => match scheme.as_str() {
                "socks4a" | "socks" => "socks4".to_owned(),
                "socks5h" => "socks5".to_owned(),
                _ => scheme,
            },
            // proxy-from-env returns `socks://` as written; the agent a Node
            // client hands it to (socks-proxy-agent) speaks SOCKS5h to it.
            Tool::Node if scheme == "socks" => "socks5h".to_owned(),
            Tool::Python | Tool::Go | Tool::Node => scheme,
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first hop of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A connection to the target (or, for a tool we only ask, no proxy).
    Direct,
    /// A connection to a proxy; `scheme` is `None` when the tool sent nothing
    /// that tells.
    Proxy {
        scheme: Option<String>,
        host: String,
        port: u16,
    },
    /// No connection: the tool (or proxyroute) refused the configuration or
    /// the URL.
    Error(String),
    /// The tool does not handle the URL's scheme at all (curl's "Protocol not
    /// supported", urllib's "unknown url type"); no proxy decision was made.
    Unsupported(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Direct => f.write_str("DIRECT"),
            Outcome::Proxy { scheme, host, port } => {
                let scheme = scheme.as_deref().unwrap_or("?");
                if host.contains(':') {
                    write!(f, "{scheme}://[{host}]:{port}")
                } else {
                    write!(f, "{scheme}://{host}:{port}")
                }
            }
            Outcome::Error(e) => write!(f, "error: {e}"),
            Outcome::Unsupported(e) => write!(f, "unsupported URL: {e}"),
        }
    }
}

/// The port a client connects to for a proxy URL without one.
pub(crate) fn default_proxy_port(scheme: &str) -> u16 {
    match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => 443,
        "socks" | "socks4" | "socks4a" | "socks5" | "socks5h" => 1080,
        "ftp" => 21,
        "gopher" => 70,
        _ => 80,
    }
}

/// A proxy URL as Go and Node return it, read as a client would (WHATWG).
pub(crate) fn proxy_url(text: &str) -> Outcome {
    match url::Url::parse(text) {
        Ok(u) => Outcome::Proxy {
            scheme: Some(u.scheme().to_owned()),
            host: u
                .host_str()
                .unwrap_or("")
                .trim_matches(['[', ']'])
                .to_ascii_lowercase(),
            port: u.port().unwrap_or_else(|| default_proxy_port(u.scheme())),
        },
        Err(e) => Outcome::Error(format!("proxy URL {text:?} is not a URL: {e}")),
    }
}

/// proxyroute's answer for a case under the tool's dialect.
pub(crate) fn proxyroute(tool: Tool, case: &Case) -> Outcome {
    let resolver = match Resolver::builder()
        .dialect(tool.dialect())
        .env_vars(case.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .build()
    {
        Ok(r) => r,
        Err(e) => return Outcome::Error(format!("build: {e}")),
    };
    let target = match Target::parse(&case.url) {
        Ok(t) => t,
        Err(e) => return Outcome::Error(format!("target: {e}")),
    };
    let route = resolver.resolve(&target);
    if let Some(e) = route.error() {
        return Outcome::Error(e.to_string());
    }
    match route.first() {
        Some(Hop::Proxy(p)) => Outcome::Proxy {
            scheme: Some(p.scheme().as_str().to_owned()),
            host: p.host().trim_matches(['[', ']']).to_ascii_lowercase(),
            port: p.port(),
        },
        Some(Hop::Direct) | None => Outcome::Direct,
        Some(other) => Outcome::Error(format!("unknown hop {other}")),
    }
}

/// Whether two answers are the same first hop, as far as the tool shows it.
pub(crate) fn agree(tool: Tool, seen: &Outcome, ours: &Outcome) -> bool {
    match (seen, ours) {
        (Outcome::Direct, Outcome::Direct) => true,
        (Outcome::Error(_), Outcome::Error(_)) => true,
        (
            Outcome::Proxy { scheme, host, port },
            Outcome::Proxy {
                scheme: our_scheme,
                host: our_host,
                port: our_port,
            },
        ) => {
            let scheme_ok = match (scheme, our_scheme) {
                (Some(a), Some(b)) => tool.scheme_view(a) == tool.scheme_view(b),
                _ => true,
            };
            scheme_ok && host.eq_ignore_ascii_case(our_host) && port == our_port
        }
        _ => false,
    }
}

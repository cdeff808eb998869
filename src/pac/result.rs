//! The `FindProxyForURL` result grammar.
//!
//! ```text
//! result = [ entry *( ";" entry ) ] [ ";" ]
//! entry  = *WS ( "DIRECT" | type 1*WS host [ ":" port ] ) *WS
//! type   = PROXY | HTTP | HTTPS | SOCKS | SOCKS4 | SOCKS5     (any case)
//! ```

use std::fmt;
use std::sync::Arc;

use crate::decision::HopBuf;
use crate::error::{ErrorKind, Origin, Violation, ViolationKind};
use crate::proxy::{Proxy, ProxyScheme};

/// One hop of a PAC result: the crate's one owned hop type,
/// [`HopBuf`](crate::HopBuf), under the name the PAC module has used.
pub type PacHop = HopBuf;

/// A parsed `FindProxyForURL` result: the hops to try in order.
///
/// The hops sit in a shared slice, so that a [`Route`](crate::Route) given
/// for this answer holds them without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacResult {
    hops: Arc<[PacHop]>,
    violations: Vec<Violation>,
}

impl PacResult {
    /// Reads a result string. Never fails: bad entries are skipped and
    /// reported, and a result with no valid entry is `DIRECT`.
    pub fn parse(text: &str) -> PacResult {
        let mut hops = Vec::new();
        let mut violations = Vec::new();
        let origin = Origin::setting("FindProxyForURL result");
        for (index, entry) in text.split(';').enumerate() {
            let entry = entry.trim_matches([' ', '\t']);
            if entry.is_empty() {
                continue;
            }
            match read_entry(entry) {
                Ok(hop) => hops.push(hop),
                Err(kind) => violations.push(Violation::new(
                    origin.clone(),
                    Some(index),
                    entry,
                    ViolationKind::Invalid(kind),
                )),
            }
        }
        if hops.is_empty() {
            hops.push(PacHop::Direct);
        }
        PacResult {
            hops: hops.into(),
            violations,
        }
    }

    /// The hops, shared.
    #[cfg(feature = "pac")]
    pub(crate) fn shared_hops(&self) -> Arc<[HopBuf]> {
        self.hops.clone()
    }

    /// The hops, in the order to try them.
    pub fn hops(&self) -> &[PacHop] {
        &self.hops
    }

    /// The entries that were skipped, and why.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

impl fmt::Display for PacResult {
    /// The hops in the PAC form: `PROXY h:p; SOCKS5 h:p; DIRECT` (passwords
    /// cannot occur: the grammar has no user info).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, hop) in self.hops.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match hop {
                PacHop::Direct => f.write_str("DIRECT")?,
                PacHop::Proxy(p) => {
                    let keyword = match p.scheme() {
                        ProxyScheme::Http => "PROXY",
                        ProxyScheme::Https => "HTTPS",
                        ProxyScheme::Socks4 | ProxyScheme::Socks4a => "SOCKS4",
                        ProxyScheme::Socks5 | ProxyScheme::Socks5h => "SOCKS5",
                    };
                    write!(f, "{keyword} {}", p.authority())?;
                }
            }
        }
        Ok(())
    }
}

fn read_entry(entry: &str) -> Result<PacHop, ErrorKind> {
    let (keyword, rest) = match entry.find([' ', '\t']) {
        Some(i) => (&entry[..i], entry[i..].trim_matches([' ', '\t'])),
        None => (entry, ""),
    };
    let scheme = match keyword.to_ascii_uppercase().as_str() {
        "DIRECT" if rest.is_empty() => return Ok(PacHop::Direct),
        "DIRECT" => {
            return Err(ErrorKind::Violation(Box::new(
                crate::error::ViolationKind::Ignored("DIRECT takes no host"),
            )))
        }
        "PROXY" | "HTTP" => ProxyScheme::Http,
        "HTTPS" => ProxyScheme::Https,
        "SOCKS" | "SOCKS4" => ProxyScheme::Socks4,
        "SOCKS5" => ProxyScheme::Socks5,
        _ => return Err(ErrorKind::UnsupportedScheme(keyword.to_ascii_lowercase())),
    };
    if rest.is_empty() {
        return Err(ErrorKind::MissingHost);
    }
    if rest.contains([' ', '\t', '@', '/']) {
        return Err(ErrorKind::InvalidHost);
    }
    let (host, port) = crate::proxy::split_host_port(rest)?;
    if rest.ends_with(':') {
        return Err(ErrorKind::InvalidPort);
    }
    let port = port.unwrap_or(scheme.default_port());
    Proxy::new(scheme, host, port)
        .map(PacHop::Proxy)
        .map_err(|e| e.kind().clone())
}

//! What each probe step found, as typed data, and the one place where that
//! data becomes words (`Display`, [`Problem::hint`], [`Problem::kind`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Which side looked up the target's host name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameSide {
    /// This program, before connecting (DIRECT, `socks5://`, `socks4://`).
    Client,
    /// The proxy (HTTP proxies, `socks5h://`, `socks4a://`).
    Proxy,
}

impl NameSide {
    /// `"client"` or `"proxy"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NameSide::Client => "client",
            NameSide::Proxy => "proxy",
        }
    }
}

/// An authentication scheme named in a `Proxy-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Basic`: user and password, which this crate sends.
    Basic,
    /// `Digest`.
    Digest,
    /// `NTLM`.
    Ntlm,
    /// `Negotiate` (Kerberos or NTLM through SPNEGO).
    Negotiate,
    /// Any other scheme, as the proxy named it.
    Other(String),
}

impl AuthScheme {
    pub(crate) fn parse(token: &str) -> AuthScheme {
        match token.to_ascii_lowercase().as_str() {
            "basic" => AuthScheme::Basic,
            "digest" => AuthScheme::Digest,
            "ntlm" => AuthScheme::Ntlm,
            "negotiate" => AuthScheme::Negotiate,
            _ => AuthScheme::Other(token.chars().take(40).collect()),
        }
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthScheme::Basic => f.write_str("Basic"),
            AuthScheme::Digest => f.write_str("Digest"),
            AuthScheme::Ntlm => f.write_str("NTLM"),
            AuthScheme::Negotiate => f.write_str("Negotiate"),
            AuthScheme::Other(s) => f.write_str(s),
        }
    }
}

/// A response that is not a well-formed HTTP response head, or is too big.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The peer closed the connection after this many bytes of the head.
    Closed {
        /// Bytes received before the close.
        after: usize,
    },
    /// The status line alone exceeds `limit` bytes.
    StatusLineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The head (status line and headers) exceeds `limit` bytes.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// More than `limit` header lines.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The first bytes are not `HTTP/1.x NNN`; `start` shows them escaped.
    NotHttp {
        /// The first bytes, printable ASCII kept and the rest as `\xNN`.
        start: String,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Closed { after: 0 } => {
                f.write_str("the connection was closed without an answer")
            }
            Malformed::Closed { after } => write!(
                f,
                "the connection was closed after {after} bytes, in the middle of the response head"
            ),
            Malformed::StatusLineTooLong { limit } => {
                write!(f, "the status line is longer than {limit} bytes; gave up")
            }
            Malformed::HeadTooLarge { limit } => {
                write!(f, "the response head is longer than {limit} bytes; gave up")
            }
            Malformed::TooManyHeaders { limit } => {
                write!(
                    f,
                    "the response has more than {limit} header lines; gave up"
                )
            }
            Malformed::NotHttp { start } => {
                write!(f, "the answer is not HTTP: it starts with \"{start}\"")
            }
        }
    }
}

/// Why a certificate does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertProblem {
    /// No trusted root issued it (or its chain).
    UnknownIssuer,
    /// It has expired.
    Expired,
    /// It is not valid yet.
    NotYetValid,
    /// It is not valid for the host name asked for.
    WrongName,
    /// Another reason, in rustls's words.
    Other(String),
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertProblem::UnknownIssuer => f.write_str("its issuer is not a trusted root"),
            CertProblem::Expired => f.write_str("it has expired"),
            CertProblem::NotYetValid => f.write_str("it is not valid yet"),
            CertProblem::WrongName => f.write_str("it is not valid for this host name"),
            CertProblem::Other(why) => f.write_str(why),
        }
    }
}

/// Which roots a server certificate verifies against.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// A public CA: the system store and Mozilla's list (webpki-roots) both trust it.
    Public,
    /// Only a CA in this machine's store that is not a public CA: a local or
    /// corporate CA that tools with their own CA bundle (Node, Python's
    /// certifi, Java) do not know.
    SystemStoreOnly,
    /// Only the extra roots given to the probe (`ca_file`).
    ExtraRoots,
    /// Nothing trusted verifies it.
    Untrusted(CertProblem),
}

impl Trust {
    /// Whether a client trusting the system store and the extra roots accepts it.
    pub fn is_trusted(&self) -> bool {
        !matches!(self, Trust::Untrusted(_))
    }

    /// `"public"`, `"system-store-only"`, `"extra-roots"` or `"untrusted"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trust::Public => "public",
            Trust::SystemStoreOnly => "system-store-only",
            Trust::ExtraRoots => "extra-roots",
            Trust::Untrusted(_) => "untrusted",
        }
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::Public => f.write_str("verifies against the system roots (a public CA)"),
            Trust::SystemStoreOnly => f.write_str(
                "verifies only against a CA in this machine's store that is not a public CA",
            ),
            Trust::ExtraRoots => f.write_str("verifies only against the extra CA file"),
            Trust::Untrusted(why) => write!(f, "does not verify: {why}"),
        }
    }
}

/// Why a certificate seen through a proxy looks like the proxy's own (TLS
/// interception, "SSL inspection").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interception {
    /// Through the proxy, it verifies only against a CA in this machine's
    /// store that is not a public CA (a local or corporate CA).
    LocalRoot,
    /// Through the proxy, no trusted root issued it.
    UnknownIssuer,
    /// Its issuer is the issuer of the proxy's own certificate.
    ProxyIssuer,
}

impl Interception {
    /// `"local-root"`, `"unknown-issuer"` or `"proxy-issuer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interception::LocalRoot => "local-root",
            Interception::UnknownIssuer => "unknown-issuer",
            Interception::ProxyIssuer => "proxy-issuer",
        }
    }
}

/// What a TLS handshake showed about the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    pub(crate) server: String,
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) trust: Trust,
    pub(crate) interception: Option<Interception>,
}

impl TlsInfo {
    /// The name the certificate was checked against.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The certificate's subject, as `CN=..., O=...`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The certificate's issuer, as `CN=..., O=...`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Which roots it verifies against.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Why it looks intercepted, when it was seen through a proxy and does.
    pub fn interception(&self) -> Option<Interception> {
        self.interception
    }

    pub(crate) fn hint(&self) -> Option<String> {
        let issuer = &self.issuer;
        match self.interception? {
            Interception::LocalRoot => Some(format!(
                "the proxy intercepts TLS and re-signs with \"{issuer}\": tools with their own CA \
                 bundle fail until that CA is trusted there (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE \
                 or SSL_CERT_FILE, curl --cacert, Java's keystore)"
            )),
            Interception::UnknownIssuer | Interception::ProxyIssuer => Some(format!(
                "the proxy intercepts TLS and re-signs with \"{issuer}\": get that CA's \
                 certificate from the proxy's administrator and trust it in the failing tool \
                 (here: --ca-file; curl --cacert, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE)"
            )),
        }
    }
}

impl fmt::Display for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate for {} issued by \"{}\" {}",
            self.server, self.issuer, self.trust
        )?;
        match self.interception {
            None => Ok(()),
            Some(Interception::LocalRoot) => {
                f.write_str("; TLS interception: through the proxy, only a local CA vouches for it")
            }
            Some(Interception::UnknownIssuer) => f.write_str(
                "; TLS interception: through the proxy, an unknown CA signed the origin's certificate",
            ),
            Some(Interception::ProxyIssuer) => f.write_str(
                "; TLS interception: the proxy's own certificate has the same issuer",
            ),
        }
    }
}

/// The SOCKS5 authentication method the proxy chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocksMethod {
    /// No authentication.
    NoAuth,
    /// User name and password (RFC 1929).
    UserPassword,
}

/// What a step that worked found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A host name was looked up.
    Resolved {
        /// The addresses found.
        addrs: Vec<IpAddr>,
    },
    /// A TCP connection was made.
    Connected {
        /// The address connected to.
        addr: SocketAddr,
    },
    /// The SOCKS5 proxy chose an authentication method.
    SocksMethod(SocksMethod),
    /// The SOCKS5 proxy accepted the user and password.
    SocksAuthenticated,
    /// The SOCKS proxy connected to the target.
    SocksConnected {
        /// Who looked up the target's name.
        resolved_by: NameSide,
    },
    /// The HTTP proxy opened the tunnel (`CONNECT` answered 2xx).
    TunnelOpen {
        /// The status code.
        status: u16,
    },
    /// A TLS handshake completed.
    Tls(TlsInfo),
    /// The HTTP response's status.
    Status {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Resolved { addrs } => {
                for (i, a) in addrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                Ok(())
            }
            Finding::Connected { addr } => write!(f, "connected to {addr}"),
            Finding::SocksMethod(SocksMethod::NoAuth) => {
                f.write_str("the proxy chose no authentication")
            }
            Finding::SocksMethod(SocksMethod::UserPassword) => {
                f.write_str("the proxy chose user/password authentication")
            }
            Finding::SocksAuthenticated => f.write_str("user and password accepted"),
            Finding::SocksConnected { resolved_by } => match resolved_by {
                NameSide::Proxy => f.write_str("connected; the proxy resolved the name"),
                NameSide::Client => f.write_str("connected; this side gave the address"),
            },
            Finding::TunnelOpen { status } => write!(f, "tunnel open ({status})"),
            Finding::Tls(info) => write!(f, "{info}"),
            Finding::Status { code, reason } => write!(f, "HTTP {code} {reason}"),
        }
    }
}

/// What went wrong at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A host name does not resolve.
    NameNotResolved {
        /// The name.
        host: String,
        /// Who looked it up.
        side: NameSide,
        /// Whether it was the proxy's own name (not the target's).
        proxy_name: bool,
        /// The resolver's words.
        detail: String,
    },
    /// Nothing listens there: the connection was refused.
    Refused {
        /// The address.
        addr: SocketAddr,
    },
    /// The step did not finish within the timeout.
    TimedOut {
        /// The timeout.
        after: Duration,
    },
    /// Another I/O error (reset, unreachable network, ...).
    Io {
        /// The system's words.
        detail: String,
    },
    /// The answer is not a usable HTTP response head.
    Malformed(Malformed),
    /// The proxy answered `407 Proxy Authentication Required`.
    ProxyAuth {
        /// The schemes its `Proxy-Authenticate` headers offer.
        offered: Vec<AuthScheme>,
        /// Whether Basic credentials were sent.
        sent: bool,
    },
    /// The proxy refused the tunnel or the request.
    ProxyRefused {
        /// Whether it was a `CONNECT` (else a forwarded request).
        tunnel: bool,
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// The error page's `<title>`, when it has one.
        title: Option<String>,
    },
    /// The SOCKS5 proxy accepts none of the methods offered.
    SocksNoMethod {
        /// Whether user/password was among them.
        offered_password: bool,
    },
    /// The SOCKS5 proxy wants a user and password and none were given.
    SocksPasswordRequired,
    /// The SOCKS5 proxy rejected the user and password.
    SocksAuthFailed {
        /// The RFC 1929 status byte.
        status: u8,
    },
    /// The SOCKS5 proxy's reply to CONNECT is an error.
    SocksReply {
        /// The reply code (RFC 1928).
        code: u8,
        /// Who looked up the target's name.
        resolved_by: NameSide,
    },
    /// The SOCKS4 proxy rejected the request.
    Socks4Rejected {
        /// The reply code (0x5b to 0x5d).
        code: u8,
    },
    /// The SOCKS answer breaks the protocol.
    SocksProtocol {
        /// What was wrong.
        detail: String,
    },
    /// `socks4://` needs an IPv4 address for the target and the name has none.
    NoIpv4 {
        /// The name.
        host: String,
    },
    /// The TLS certificate does not verify.
    TlsUntrusted(TlsInfo),
    /// The server's answer to the TLS handshake is not TLS.
    NotTls {
        /// Whether the server is the proxy (an `https://` proxy URL).
        proxy: bool,
    },
    /// The TLS handshake failed for another reason.
    Tls {
        /// rustls's words.
        detail: String,
    },
}

fn socks5_reply(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

fn list(schemes: &[AuthScheme]) -> String {
    if schemes.is_empty() {
        return "no scheme".to_owned();
    }
    let names: Vec<String> = schemes.iter().map(ToString::to_string).collect();
    names.join(", ")
}

impl Problem {
    /// A short, stable name for the problem, for JSON and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::NameNotResolved { .. } => "name-not-resolved",
            Problem::Refused { .. } => "connection-refused",
            Problem::TimedOut { .. } => "timed-out",
            Problem::Io { .. } => "io-error",
            Problem::Malformed(_) => "malformed-response",
            Problem::ProxyAuth { .. } => "proxy-auth-required",
            Problem::ProxyRefused { .. } => "proxy-refused",
            Problem::SocksNoMethod { .. } => "socks-no-acceptable-method",
            Problem::SocksPasswordRequired => "socks-password-required",
            Problem::SocksAuthFailed { .. } => "socks-auth-failed",
            Problem::SocksReply { .. } => "socks-reply",
            Problem::Socks4Rejected { .. } => "socks4-rejected",
            Problem::SocksProtocol { .. } => "socks-protocol",
            Problem::NoIpv4 { .. } => "socks4-no-ipv4",
            Problem::TlsUntrusted(_) => "tls-untrusted",
            Problem::NotTls { .. } => "not-tls",
            Problem::Tls { .. } => "tls-failed",
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Problem::NameNotResolved {
                host,
                side: NameSide::Client,
                proxy_name: false,
                ..
            } => Some(format!(
                "{host} does not resolve here; if only the proxy can resolve it, use socks5h:// \
                 (or socks4a://) so that the proxy looks the name up"
            )),
            Problem::NameNotResolved {
                proxy_name: true, ..
            } => Some("check the proxy's host name in the proxy setting".to_owned()),
            Problem::Refused { .. } => Some(
                "nothing listens on that port: check the proxy's port, or whether it runs".to_owned(),
            ),
            Problem::TimedOut { .. } => Some(
                "a firewall may drop the packets, or the server accepted and never answered"
                    .to_owned(),
            ),
            Problem::ProxyAuth { offered, sent } => {
                let basic = offered.contains(&AuthScheme::Basic);
                Some(match (basic, sent) {
                    (true, false) => "give the proxy a user and password: http://user:password@proxy:port (percent-encode special characters)".to_owned(),
                    (true, true) => "the proxy rejected the user or password sent: check them (and their percent-encoding in the proxy URL)".to_owned(),
                    (false, _) => format!(
                        "the proxy offers only {}, which this crate does not speak: use a client that does (curl --proxy-ntlm/--proxy-negotiate/--proxy-digest) or a local forwarder (cntlm, px)",
                        list(offered)
                    ),
                })
            }
            Problem::ProxyRefused { tunnel: true, status: 403, .. } => Some(
                "the proxy's policy forbids this destination or port for CONNECT; ask its administrator, or bypass the proxy for this host".to_owned(),
            ),
            Problem::ProxyRefused { status: 502..=504, .. } => Some(
                "the proxy could not reach the origin (down, refusing, or not resolvable from the proxy); its error page says more".to_owned(),
            ),
            Problem::ProxyRefused { tunnel: false, status: 403, .. } => Some(
                "the proxy's policy forbids this destination; ask its administrator, or bypass the proxy for this host".to_owned(),
            ),
            Problem::SocksNoMethod { offered_password: false } | Problem::SocksPasswordRequired => Some(
                "the SOCKS proxy wants a user and password: socks5://user:password@proxy:port".to_owned(),
            ),
            Problem::SocksAuthFailed { .. } => {
                Some("check the SOCKS user and password (and their percent-encoding)".to_owned())
            }
            Problem::SocksReply { code: 1 | 4, resolved_by: NameSide::Proxy } => Some(
                "the proxy could not reach or resolve the host; with socks5:// this machine would resolve it instead".to_owned(),
            ),
            Problem::NotTls { proxy: false } => Some(
                "that port speaks something else (plain HTTP?): check the URL's scheme and port"
                    .to_owned(),
            ),
            Problem::NotTls { proxy: true } => Some(
                "most proxies speak plain HTTP, even for https:// URLs (which they tunnel): write the proxy as http://host:port, not https://".to_owned(),
            ),
            Problem::TlsUntrusted(info) => info.hint().or_else(|| match &info.trust {
                Trust::Untrusted(CertProblem::UnknownIssuer) => Some(format!(
                    "trust the CA \"{}\" in the failing tool, or give it here with --ca-file",
                    info.issuer
                )),
                _ => None,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NameNotResolved {
                host,
                side,
                proxy_name,
                detail,
            } => {
                let whose = if *proxy_name { "the proxy's name" } else { "the name" };
                match side {
                    NameSide::Client => {
                        write!(f, "{whose} {host} does not resolve here ({detail})")
                    }
                    NameSide::Proxy => {
                        write!(f, "the proxy could not resolve {host} ({detail})")
                    }
                }
            }
            Problem::Refused { addr } => write!(f, "connection refused by {addr}"),
            Problem::TimedOut { after } => {
                write!(f, "no answer within {} ms (timed out)", after.as_millis())
            }
            Problem::Io { detail } => f.write_str(detail),
            Problem::Malformed(m) => write!(f, "{m}"),
            Problem::ProxyAuth { offered, sent } => write!(
                f,
                "407 Proxy Authentication Required: the proxy offers {}; {}",
                list(offered),
                match (sent, offered.contains(&AuthScheme::Basic)) {
                    (true, true) => "the credentials sent (Basic) were rejected",
                    (true, false) => "Basic credentials were sent, a scheme it does not offer",
                    (false, _) => "no credentials were sent",
                }
            ),
            Problem::ProxyRefused {
                tunnel,
                status,
                reason,
                title,
            } => {
                let what = match (*tunnel, *status >= 500) {
                    (true, false) => "the proxy refused the tunnel",
                    (true, true) => "the proxy could not open the tunnel",
                    (false, false) => "the proxy refused the request",
                    (false, true) => "the proxy could not forward the request",
                };
                write!(f, "{what}: {status} {reason}")?;
                if let Some(title) = title {
                    write!(f, " (page title \"{title}\")")?;
                }
                Ok(())
            }
            Problem::SocksNoMethod { offered_password } => write!(
                f,
                "the SOCKS5 proxy accepts none of the methods offered ({})",
                if *offered_password {
                    "no auth, user/password"
                } else {
                    "no auth"
                }
            ),
            Problem::SocksPasswordRequired => f.write_str(
                "the SOCKS5 proxy wants user/password authentication and none was given",
            ),
            Problem::SocksAuthFailed { status } => write!(
                f,
                "the SOCKS5 proxy rejected the user and password (status {status})"
            ),
            Problem::SocksReply { code, resolved_by } => write!(
                f,
                "the SOCKS5 proxy answered {code}: {} (the {} resolves the name)",
                socks5_reply(*code),
                resolved_by.as_str()
            ),
            Problem::Socks4Rejected { code } => write!(
                f,
                "the SOCKS4 proxy rejected the request (0x{code:02x}: {})",
                match code {
                    0x5b => "rejected or failed",
                    0x5c => "no identd on the client",
                    0x5d => "identd user mismatch",
                    _ => "unknown code",
                }
            ),
            Problem::SocksProtocol { detail } => write!(f, "not a SOCKS answer: {detail}"),
            Problem::NoIpv4 { host } => write!(
                f,
                "socks4:// needs an IPv4 address and {host} has none (socks4a:// lets the proxy resolve it)"
            ),
            Problem::TlsUntrusted(info) => write!(f, "{info}"),
            Problem::NotTls { proxy: false } => f.write_str("the server does not answer in TLS"),
            Problem::NotTls { proxy: true } => f.write_str("the proxy does not answer in TLS"),
            Problem::Tls { detail } => write!(f, "TLS handshake failed: {detail}"),
        }
    }
}

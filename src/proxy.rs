//! Proxy endpoints: [`ProxyScheme`], [`Proxy`] and [`Credentials`].

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Origin, Result};

/// How the client talks to the proxy.
///
/// `Https` means TLS *to the proxy*; which kind of request traffic a proxy serves
/// (`https_proxy`, `https=` in Windows settings) is a separate matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProxyScheme {
    /// Plain HTTP to the proxy (`CONNECT` for tunnels).
    Http,
    /// HTTP over TLS to the proxy.
    Https,
    /// SOCKS4: the client resolves the target's name.
    Socks4,
    /// SOCKS4a: the proxy resolves the target's name.
    Socks4a,
    /// SOCKS5: the client resolves the target's name.
    Socks5,
    /// SOCKS5 with the proxy resolving the target's name.
    Socks5h,
}

impl ProxyScheme {
    /// Every scheme, in declaration order. A slice, so that a new scheme does
    /// not change its type (the enum is `#[non_exhaustive]`).
    pub const ALL: &'static [ProxyScheme] = &[
        ProxyScheme::Http,
        ProxyScheme::Https,
        ProxyScheme::Socks4,
        ProxyScheme::Socks4a,
        ProxyScheme::Socks5,
        ProxyScheme::Socks5h,
    ];

    /// The scheme's name as written in a proxy URL.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScheme::Http => "http",
            ProxyScheme::Https => "https",
            ProxyScheme::Socks4 => "socks4",
            ProxyScheme::Socks4a => "socks4a",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        }
    }

    /// The usual port: 80 for HTTP, 443 for HTTPS, 1080 for SOCKS.
    ///
    /// Tools differ when a proxy value has no port (curl uses 1080 even for HTTP);
    /// each [`Dialect`](crate::Dialect) applies its own rule when reading values.
    pub fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            ProxyScheme::Https => 443,
            _ => 1080,
        }
    }

    /// Whether this is one of the SOCKS versions.
    pub fn is_socks(self) -> bool {
        !matches!(self, ProxyScheme::Http | ProxyScheme::Https)
    }

    /// Whether the proxy, not the client, resolves the target's host name.
    pub fn resolves_remotely(self) -> bool {
        !matches!(self, ProxyScheme::Socks4 | ProxyScheme::Socks5)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for ProxyScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProxyScheme {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ProxyScheme::ALL
            .iter()
            .copied()
            .find(|scheme| scheme.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UnsupportedScheme(s.to_ascii_lowercase()),
                    Origin::Text,
                    s,
                )
            })
    }
}

/// A username and optional password for the proxy.
///
/// Read from URL userinfo they are percent-decoded, so a password holding `@`,
/// `:`, `%`, `/` or a space survives. `Debug` never shows the password.
///
/// ```
/// use proxyroute::Credentials;
/// let creds = Credentials::new("alice", Some("p@ss word"));
/// assert_eq!(format!("{creds:?}"), r#"Credentials { username: "alice", password: Some(***) }"#);
/// assert!(creds.basic_auth().is_sensitive());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    username: String,
    password: Option<String>,
}

impl Credentials {
    /// Credentials from plain (not percent-encoded) text.
    pub fn new(username: impl Into<String>, password: Option<&str>) -> Self {
        Credentials {
            username: username.into(),
            password: password.map(str::to_owned),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password. Handle with care: print it nowhere.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// A `Proxy-Authorization: Basic ...` value, marked sensitive so that `http`
    /// and well-behaved clients keep it out of logs.
    pub fn basic_auth(&self) -> http::HeaderValue {
        let mut raw =
            Vec::with_capacity(self.username.len() + 1 + self.password().map_or(0, str::len));
        raw.extend_from_slice(self.username.as_bytes());
        raw.push(b':');
        raw.extend_from_slice(self.password().unwrap_or("").as_bytes());
        let mut value = String::from("Basic ");
        base64_into(&raw, &mut value);
        let mut header = http::HeaderValue::from_str(&value)
            .expect("base64 output is always a valid header value");
        header.set_sensitive(true);
        header
    }

    /// `user:***` (or `user`), the form printed everywhere.
    fn write_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&percent_encode(&self.username))?;
        if self.password.is_some() {
            f.write_str(":***")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Stars;
        impl fmt::Debug for Stars {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("***")
            }
        }
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| Stars))
            .finish()
    }
}

/// One proxy server: scheme, host, port and optional credentials.
///
/// `Display` and `Debug` show the password as `***`;
/// [`url_with_credentials`](Proxy::url_with_credentials) gives the full URL for a
/// client that needs it.
///
/// ```
/// use proxyroute::{Proxy, ProxyScheme};
/// let proxy: Proxy = "http://alice:p%40ss@Proxy.Corp:3128".parse()?;
/// assert_eq!(proxy.scheme(), ProxyScheme::Http);
/// assert_eq!(proxy.host(), "proxy.corp");
/// assert_eq!(proxy.credentials().unwrap().password(), Some("p@ss"));
/// assert_eq!(proxy.to_string(), "http://alice:***@proxy.corp:3128");
/// assert_eq!(proxy.url_with_credentials(), "http://alice:p%40ss@proxy.corp:3128");
/// // Without a scheme: HTTP; without a port: the scheme's usual port.
/// assert_eq!("proxy.corp".parse::<Proxy>()?.to_string(), "http://proxy.corp:80");
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    scheme: ProxyScheme,
    host: Box<str>,
    port: u16,
    credentials: Option<Credentials>,
}

impl Proxy {
    /// A proxy from parts. `host` may be a name, an IPv4 address or an IPv6
    /// address with or without brackets; it is normalised (lower case, IDNA).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidHost`] or [`ErrorKind::MissingHost`] for a bad host,
    /// [`ErrorKind::InvalidPort`] for port 0.
    pub fn new(scheme: ProxyScheme, host: &str, port: u16) -> Result<Self> {
        if port == 0 {
            return Err(Error::new(ErrorKind::InvalidPort, Origin::Text, "0"));
        }
        let host =
            normalize_proxy_host(host).map_err(|kind| Error::new(kind, Origin::Text, host))?;
        Ok(Proxy {
            scheme,
            host,
            port,
            credentials: None,
        })
    }

    /// The same proxy with these credentials.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The same proxy without credentials.
    #[must_use]
    pub fn without_credentials(mut self) -> Self {
        self.credentials = None;
        self
    }

    /// How to talk to the proxy.
    pub fn scheme(&self) -> ProxyScheme {
        self.scheme
    }

    /// The proxy's host: a lower-case name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The credentials, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The proxy as a URL with the credentials percent-encoded, for a client that
    /// needs them. Do not log it.
    pub fn url_with_credentials(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(creds) = &self.credentials {
            out.push_str(&percent_encode(&creds.username));
            if let Some(password) = &creds.password {
                out.push(':');
                out.push_str(&percent_encode(password));
            }
            out.push('@');
        }
        self.push_host_port(&mut out);
        out
    }

    /// The proxy as a URL with the user name but never the password:
    /// `scheme://user@host:port` (what configuration files are written with).
    #[cfg(feature = "serde")]
    pub(crate) fn url_without_password(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(creds) = self.credentials.as_ref().filter(|c| !c.username.is_empty()) {
            out.push_str(&percent_encode(&creds.username));
            out.push('@');
        }
        self.push_host_port(&mut out);
        out
    }

    /// The proxy as a URL without any userinfo: `scheme://host:port`.
    pub fn url_without_credentials(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        self.push_host_port(&mut out);
        out
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        let mut out = String::new();
        self.push_host_port(&mut out);
        out
    }

    fn push_host_port(&self, out: &mut String) {
        use std::fmt::Write;
        if self.host.contains(':') {
            let _ = write!(out, "[{}]:{}", self.host, self.port);
        } else {
            let _ = write!(out, "{}:{}", self.host, self.port);
        }
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(creds) = &self.credentials {
            creds.write_redacted(f)?;
            f.write_str("@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl FromStr for Proxy {
    type Err = Error;

    /// Parses `[scheme://][user[:password]@]host[:port][/]` with HTTP as the
    /// default scheme and the scheme's usual port.
    fn from_str(s: &str) -> Result<Self> {
        parse_proxy(s, &ProxySyntax::STANDARD, None)
    }
}

/// What a proxy value without a scheme means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultScheme {
    /// Plain HTTP, whatever the request.
    Http,
    /// The request's own scheme (npm proxy-from-env).
    Request,
    /// A value without a scheme is not read at all (postman-request misparses it).
    Refuse,
}

/// Which port a proxy value without one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultPort {
    /// 80 for HTTP, 443 for HTTPS, 1080 for SOCKS.
    ByScheme,
    /// curl: 1080, except 443 for an HTTPS proxy.
    Curl,
    /// Python urllib: an HTTP proxy serving `https` requests is reached on
    /// 443 (the connection class is the request's), otherwise by scheme.
    Request,
}

/// How one tool reads a proxy value: a small table, not a code path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProxySyntax {
    pub(crate) default_scheme: DefaultScheme,
    pub(crate) default_port: DefaultPort,
    /// What a bare `socks://` means to this tool, if it accepts it.
    pub(crate) socks_alias: Option<ProxyScheme>,
    /// Bit set of the [`ProxyScheme`]s this tool accepts.
    pub(crate) accepted: u8,
    /// Whether credentials in the value are used (Chromium drops them).
    pub(crate) credentials: bool,
    /// Why a scheme outside `accepted` is refused, in the tool's terms;
    /// `None`: the crate's generic message.
    pub(crate) unsupported: Option<&'static str>,
}

impl ProxySyntax {
    pub(crate) const fn accepting(schemes: &[ProxyScheme]) -> u8 {
        let mut bits = 0;
        let mut i = 0;
        while i < schemes.len() {
            bits |= 1 << (schemes[i] as u8);
            i += 1;
        }
        bits
    }

    /// The crate's own reading: HTTP by default, usual ports, every scheme.
    pub(crate) const STANDARD: ProxySyntax = ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::ByScheme,
        socks_alias: Some(ProxyScheme::Socks5),
        accepted: 0b11_1111,
        credentials: true,
        unsupported: None,
    };

    fn port_for(&self, scheme: ProxyScheme, request: Option<ProxyScheme>) -> u16 {
        match (self.default_port, scheme) {
            (DefaultPort::Curl, ProxyScheme::Https) => 443,
            (DefaultPort::Curl, _) => 1080,
            (DefaultPort::Request, ProxyScheme::Http) if request == Some(ProxyScheme::Https) => 443,
            (DefaultPort::ByScheme | DefaultPort::Request, s) => s.default_port(),
        }
    }
}

/// Parses one proxy value under `syntax`. `request` is the request's scheme for
/// dialects whose scheme-less values take it.
pub(crate) fn parse_proxy(
    text: &str,
    syntax: &ProxySyntax,
    request: Option<ProxyScheme>,
) -> Result<Proxy> {
    let err = |kind| Error::new(kind, Origin::Text, text);
    let value = text.trim();
    if value.is_empty() {
        return Err(err(ErrorKind::Empty));
    }
    let (scheme, rest) = match value.find("://") {
        Some(i) => {
            let name = &value[..i];
            if name.is_empty()
                || !name.starts_with(|c: char| c.is_ascii_alphabetic())
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Err(err(ErrorKind::InvalidUrl));
            }
            let scheme = if name.eq_ignore_ascii_case("socks") {
                syntax.socks_alias
            } else {
                name.parse::<ProxyScheme>().ok()
            };
            let scheme = scheme
                .filter(|s| syntax.accepted & s.bit() != 0)
                .ok_or_else(|| match syntax.unsupported {
                    Some(why) => err(ErrorKind::RefusedByTool(why)),
                    None => err(ErrorKind::UnsupportedScheme(name.to_ascii_lowercase())),
                })?;
            (scheme, &value[i + 3..])
        }
        None => match syntax.default_scheme {
            DefaultScheme::Http => (ProxyScheme::Http, value),
            DefaultScheme::Request => (request.unwrap_or(ProxyScheme::Http), value),
            DefaultScheme::Refuse => return Err(err(ErrorKind::MissingScheme)),
        },
    };
    // The userinfo runs to the last '@' so that a raw '/' or '@' in a password
    // does not cut it short; the authority ends at the first '/', '?' or '#' after it.
    let at = rest.rfind('@');
    let host_start = at.map_or(0, |i| i + 1);
    let host_end = rest[host_start..]
        .find(['/', '?', '#'])
        .map_or(rest.len(), |i| host_start + i);
    let credentials = match at {
        Some(at) if syntax.credentials => parse_userinfo(&rest[..at]).map_err(err)?,
        _ => None,
    };
    let hostport = &rest[host_start..host_end];
    let (host, port) = split_host_port(hostport).map_err(err)?;
    let port = match port {
        Some(port) => port,
        None => syntax.port_for(scheme, request),
    };
    if port == 0 {
        return Err(err(ErrorKind::InvalidPort));
    }
    let host = normalize_proxy_host(host).map_err(err)?;
    Ok(Proxy {
        scheme,
        host,
        port,
        credentials,
    })
}

fn parse_userinfo(userinfo: &str) -> std::result::Result<Option<Credentials>, ErrorKind> {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let username = percent_decode(user)?;
    let password = password.map(percent_decode).transpose()?;
    if username.is_empty() && password.as_deref().is_none_or(str::is_empty) {
        return Ok(None);
    }
    Ok(Some(Credentials { username, password }))
}

/// Splits `host[:port]` or `[v6][:port]`; an empty port counts as none.
pub(crate) fn split_host_port(text: &str) -> std::result::Result<(&str, Option<u16>), ErrorKind> {
    let (host, port) = if let Some(inner) = text.strip_prefix('[') {
        let close = inner.find(']').ok_or(ErrorKind::InvalidHost)?;
        let after = &inner[close + 1..];
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(ErrorKind::InvalidHost)?),
        };
        (&text[..close + 2], port)
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(parse_port(digits).ok_or(ErrorKind::InvalidPort)?),
    };
    if host.is_empty() {
        return Err(ErrorKind::MissingHost);
    }
    Ok((host, port))
}

/// A decimal port from 0 to 65535, digits only.
pub(crate) fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn normalize_proxy_host(host: &str) -> std::result::Result<Box<str>, ErrorKind> {
    if host.is_empty() {
        return Err(ErrorKind::MissingHost);
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.contains(':') {
        let addr: Ipv6Addr = bare.parse().map_err(|_| ErrorKind::InvalidHost)?;
        return Ok(addr.to_string().into());
    }
    match url::Host::parse(bare).map_err(|_| ErrorKind::InvalidHost)? {
        // WHATWG hosts may hold `,;=$!` and more (also percent-decoded); a
        // proxy must be a name that DNS can look up: letters, digits, `-`, `_`, `.`.
        url::Host::Domain(d)
            if !d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) =>
        {
            Err(ErrorKind::InvalidHost)
        }
        url::Host::Domain(d) => Ok(d.into()),
        url::Host::Ipv4(a) => Ok(a.to_string().into()),
        url::Host::Ipv6(a) => Ok(a.to_string().into()),
    }
}

/// Percent-decodes user info strictly: every `%` must start a `%XX` escape
/// (the `percent-encoding` crate would pass a stray `%` through, which would
/// send a different password than the one written), and the result must be
/// UTF-8.
fn percent_decode(text: &str) -> std::result::Result<String, ErrorKind> {
    let bytes = text.as_bytes();
    let strict = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !strict {
        return Err(ErrorKind::InvalidCredentials);
    }
    percent_encoding::percent_decode(bytes)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ErrorKind::InvalidCredentials)
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, USERINFO).to_string()
}

fn base64_into(input: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in input.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let rows = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in rows {
            let mut out = String::new();
            base64_into(input.as_bytes(), &mut out);
            assert_eq!(out, want, "input {input:?}");
        }
    }

    #[test]
    fn basic_auth_header() {
        let creds = Credentials::new("Aladdin", Some("open sesame"));
        assert_eq!(creds.basic_auth(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn awkward_passwords_round_trip() {
        for password in [
            "p@ss",
            "a:b",
            "100%",
            "x/y",
            "with space",
            "pässwörd",
            "@:%/ ",
        ] {
            let proxy = Proxy::new(ProxyScheme::Http, "proxy", 3128)
                .unwrap()
                .with_credentials(Credentials::new("u s@r", Some(password)));
            let back: Proxy = proxy.url_with_credentials().parse().unwrap();
            assert_eq!(back, proxy, "password {password:?}");
            assert!(!proxy.to_string().contains(password));
        }
    }

    #[test]
    fn proxy_parse_rows() {
        let ok = [
            ("proxy:3128", "http://proxy:3128"),
            ("http://proxy:3128/", "http://proxy:3128"),
            ("HTTPS://PROXY", "https://proxy:443"),
            ("socks5h://10.0.0.1", "socks5h://10.0.0.1:1080"),
            ("socks://h:1", "socks5://h:1"),
            ("[::1]:8080", "http://[::1]:8080"),
            ("http://[0:0::1]", "http://[::1]:80"),
            ("http://u@h:1", "http://u@h:1"),
            ("http://u:@h:1", "http://u:***@h:1"),
            ("http://:p@h:1", "http://:***@h:1"),
            ("http://0x7f.1:1", "http://127.0.0.1:1"),
            ("http://bücher.example:1", "http://xn--bcher-kva.example:1"),
        ];
        for (input, want) in ok {
            let proxy: Proxy = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(proxy.to_string(), want, "input {input}");
        }
        let bad = [
            ("", ErrorKind::Empty),
            ("ftp://h", ErrorKind::UnsupportedScheme("ftp".into())),
            ("http://h:99999", ErrorKind::InvalidPort),
            ("http://h:0", ErrorKind::InvalidPort),
            ("http://h:x", ErrorKind::InvalidPort),
            ("http://", ErrorKind::MissingHost),
            ("http://u:p@", ErrorKind::MissingHost),
            ("http://[::1", ErrorKind::InvalidHost),
            ("http://u:%zz@h", ErrorKind::InvalidCredentials),
            ("://h", ErrorKind::InvalidUrl),
        ];
        for (input, want) in bad {
            let err = input.parse::<Proxy>().unwrap_err();
            assert_eq!(err.kind(), &want, "input {input}");
        }
    }
}

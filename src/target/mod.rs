//! [`Target`]: the request's scheme, host and port, normalised once.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Origin, Result};

mod parse;
use parse::{
    fast_parse, normalize_host, parse_bracketed, raw_path, scheme_end, strip_dot, written_authority,
};

/// Request schemes the crate knows by name, with their default ports (curl's
/// protocol list; the first five are the WHATWG special schemes).
const KNOWN_SCHEMES: [(&str, u16); 25] = [
    ("http", 80),
    ("https", 443),
    ("ws", 80),
    ("wss", 443),
    ("ftp", 21),
    ("ftps", 990),
    ("gopher", 70),
    ("gophers", 70),
    ("dict", 2628),
    ("imap", 143),
    ("imaps", 993),
    ("ldap", 389),
    ("ldaps", 636),
    ("mqtt", 1883),
    ("pop3", 110),
    ("pop3s", 995),
    ("rtsp", 554),
    ("scp", 22),
    ("sftp", 22),
    ("smb", 445),
    ("smbs", 445),
    ("smtp", 25),
    ("smtps", 465),
    ("telnet", 23),
    ("tftp", 69),
];

/// The index of `http` in the scheme table.
pub(crate) const SCHEME_HTTP: u8 = 0;
/// The index of `ftp`, the last WHATWG special scheme in the table.
pub(crate) const SCHEME_FTP: u8 = 4;
/// The number of known schemes.
pub(crate) const KNOWN_SCHEME_COUNT: usize = KNOWN_SCHEMES.len();

/// The names of the known request schemes, in table order.
pub(crate) fn known_schemes() -> [&'static str; KNOWN_SCHEME_COUNT] {
    KNOWN_SCHEMES.map(|(name, _)| name)
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Scheme {
    Known(u8),
    Other(Box<str>),
}

/// The request a route is wanted for: scheme, host and port, normalised once.
///
/// Made from `&str`, [`url::Url`] or [`http::Uri`], all three normalised alike:
/// the host lower-cased and converted to ASCII (IDNA), one trailing dot and any
/// brackets removed, IPv4 addresses in every WHATWG numeric spelling (`0x7f.1`,
/// `2130706433`, `127.1`) read as the address they denote, and IPv6 zone ids kept
/// apart so that they never match a name rule. The port is the explicit one, or
/// the scheme's default.
///
/// What the normal form forgets is kept beside it, because several tools
/// compare the host *as written*: whether it ended in a dot
/// ([`has_trailing_dot`](Target::has_trailing_dot); Go, urllib,
/// proxy-from-env and Chromium do not match `example.com.` with a
/// `example.com` entry), whether it held upper case (Go's localhost exemption
/// is case-sensitive), whether it was written in Unicode, and whether the port
/// was written ([`port_written`](Target::port_written); urllib's `h:80` entry
/// matches `http://h:80/` but not `http://h/`). A [`url::Url`] has already
/// dropped a default port and converted Unicode, so a target made from one
/// knows only the trailing dot.
///
/// ```
/// use proxyroute::Target;
/// let t: Target = "http://Example.COM.:80/".parse()?;
/// assert_eq!((t.host(), t.has_trailing_dot(), t.port_written()), ("example.com", true, true));
/// # Ok::<(), proxyroute::Error>(())
/// ```
///
/// Two targets are equal when their normal forms and trailing dots are: the
/// case, the Unicode spelling and a written default port, which only some
/// tools' comparisons see, are not part of equality (a [`url::Url`] has lost
/// them already).
///
/// ```
/// use proxyroute::Target;
/// let t: Target = "HTTPS://Bücher.Example./path?q".parse()?;
/// assert_eq!((t.scheme(), t.host(), t.port()), ("https", "xn--bcher-kva.example", Some(443)));
/// let t: Target = "http://0x7f.1:8080/".parse()?;
/// assert_eq!(t.ip(), Some("127.0.0.1".parse().unwrap()));
/// let t = Target::try_from(&url::Url::parse("http://[::ffff:10.0.0.1]/")?)?;
/// assert_eq!(t.host(), "::ffff:10.0.0.1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Target {
    scheme: Scheme,
    /// The normalised host (an IPv6 address with brackets), followed by the
    /// URL's path when it is not `/`: one allocation for both.
    host: Box<str>,
    /// Where the host ends in `host`, and the path begins.
    host_end: u32,
    ip: Option<IpAddr>,
    zone: Option<Box<str>>,
    port: Option<u16>,
    /// How the host and port were written (see [`Written`]).
    written: Written,
    /// The host name's domain suffixes, hashed once here so that every bypass
    /// query can look them up without rescanning the host.
    suffixes: Suffixes,
    /// An IP address written otherwise than canonically (`0xa.1.2.3`,
    /// `[2001:db8:0:0::5]`), as written and lower-cased, or an opaque host
    /// Node's URL keeps as written (`gopherx://Foo.example/`), case and
    /// all: the tools that read such a host as a name match their name
    /// entries against this text. `None` for every other host (no
    /// allocation).
    spelled: Option<Box<str>>,
}

/// How the URL wrote its host and port, where the normalised form forgets it:
/// the tools that compare the host as written (Go, urllib, proxy-from-env,
/// Chromium) need it. A bit set, so that a target stays small and a bypass
/// query tests it with one mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Written(u8);

impl Written {
    /// The host ended in a dot (`example.com.`).
    pub(crate) const TRAILING_DOT: u8 = 1;
    /// The host held ASCII upper case (`LocalHost`).
    pub(crate) const UPPER: u8 = 2;
    /// The host was written in Unicode (`bücher.example`), not punycode.
    pub(crate) const UNICODE: u8 = 4;
    /// The port was written, even if it is the scheme's default (`h:80`).
    pub(crate) const PORT: u8 = 8;
    /// The host is an IPv4 address written in another spelling than dotted
    /// decimal (`0x7f.1`, `167838211`, `10.1.515`).
    pub(crate) const IP_OTHERWISE: u8 = 16;
    /// The host belongs to a scheme WHATWG URLs treat as opaque (not http,
    /// https, ws, wss, ftp or file) and was written with upper case or as a
    /// number: Node's URL keeps it so (`gopherx://LocalHost/`). Not for an
    /// IPv6 host, which such URLs write canonically too. (Unicode is
    /// percent-encoded there, which suffix entries still match.)
    pub(crate) const OPAQUE_AS_WRITTEN: u8 = 32;
    /// The host is an IPv6 address written otherwise than in its canonical
    /// form (`[2001:db8:0:0::5]` for `[2001:db8::5]`).
    pub(crate) const IPV6_OTHERWISE: u8 = 64;

    /// The bits for a host written as `host` (its port aside).
    fn of_host(host: &str) -> Self {
        let mut bits = 0;
        if host.len() > 1 && host.ends_with('.') && !host.starts_with('[') {
            bits |= Written::TRAILING_DOT;
        }
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            bits |= Written::UPPER;
        }
        if !host.is_ascii() {
            bits |= Written::UNICODE;
        }
        Written(bits)
    }

    #[must_use]
    fn with_port(self, written: bool) -> Self {
        Written(if written {
            self.0 | Written::PORT
        } else {
            self.0
        })
    }

    /// The bits.
    #[inline]
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// How many of a host name's suffixes are hashed ahead; the rest (for hosts of
/// more labels) are hashed during the query.
const PREHASHED: usize = 8;

/// The hashes of a host name's suffixes on label boundaries, shortest first
/// (`com`, `example.com`, `www.example.com`), with where each starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Suffixes {
    hashes: [u64; PREHASHED],
    starts: [u16; PREHASHED],
    len: u8,
}

impl Suffixes {
    const NONE: Suffixes = Suffixes {
        hashes: [0; PREHASHED],
        starts: [0; PREHASHED],
        len: 0,
    };

    fn of(host: &str) -> Self {
        let mut out = Suffixes::NONE;
        let bytes = host.as_bytes();
        if bytes.len() > usize::from(u16::MAX) {
            return out;
        }
        let mut hash = crate::bypass::table::seed();
        let mut end = bytes.len();
        while usize::from(out.len) < PREHASHED {
            let mut start = end;
            while start > 0 && bytes[start - 1] != b'.' {
                start -= 1;
            }
            hash = crate::bypass::table::combine(
                hash,
                crate::bypass::table::label_hash(&bytes[start..end]),
            );
            out.hashes[usize::from(out.len)] = hash;
            out.starts[usize::from(out.len)] = start as u16;
            out.len += 1;
            if start == 0 {
                break;
            }
            end = start - 1;
        }
        out
    }

    /// The prehashed suffixes' hashes, shortest first.
    #[inline]
    pub(crate) fn hashes(&self) -> &[u64] {
        &self.hashes[..usize::from(self.len)]
    }

    /// Where each prehashed suffix starts in the host.
    #[inline]
    pub(crate) fn starts(&self) -> &[u16] {
        &self.starts[..usize::from(self.len)]
    }
}

impl Target {
    /// Parses a URL. It needs `scheme://`; the user info, path, query and
    /// fragment are ignored.
    ///
    /// Common URLs take a fast path that does not build a whole `url::Url`; the
    /// answer is the same as [`Target::from_url`] on `url::Url::parse(text)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingScheme`], [`ErrorKind::MissingHost`],
    /// [`ErrorKind::InvalidHost`], [`ErrorKind::InvalidPort`] or
    /// [`ErrorKind::InvalidUrl`], naming the text.
    pub fn parse(text: &str) -> Result<Self> {
        let err = |kind| Error::new(kind, Origin::Text, text);
        let Some(sep) = scheme_end(text) else {
            return Err(err(ErrorKind::MissingScheme));
        };
        if let Some(target) = fast_parse(text, sep) {
            return match target {
                Ok(t) => {
                    let special = matches!(t.scheme, Scheme::Known(i) if i <= SCHEME_FTP);
                    Ok(t.with_path(raw_path(text, sep, special)))
                }
                Err(kind) => Err(err(kind)),
            };
        }
        match url::Url::parse(text) {
            Ok(url) => {
                let mut target = Target::from_url(&url).map_err(|e| e.with_origin(Origin::Text))?;
                // The URL parser forgot the case, the Unicode and a default
                // port as written: read them from the text.
                // The trailing dot is the URL's own; the rest comes from the text.
                let (host, port_written) = written_authority(text, sep, url.is_special());
                let raw = Written::of_host(host).with_port(port_written);
                let mut bits = raw.0 & (Written::PORT | Written::UPPER);
                if target.ip.is_none() && target.zone.is_none() {
                    bits |= raw.0 & Written::UNICODE;
                }
                let spelled_otherwise = target.ip.is_some() && host != target.host_text();
                if matches!(target.ip, Some(IpAddr::V4(_))) && spelled_otherwise {
                    bits |= Written::IP_OTHERWISE;
                }
                if matches!(target.ip, Some(IpAddr::V6(_)))
                    && !host.eq_ignore_ascii_case(target.host_text())
                {
                    bits |= Written::IPV6_OTHERWISE;
                }
                // An IPv6 host is an address there too, written canonically
                // (`gopherx://[2001:DB8:0::5]/` has hostname `[2001:db8::5]`
                // in Node 20).
                if !url.is_special()
                    && !matches!(target.ip, Some(IpAddr::V6(_)))
                    && (raw.has(Written::UPPER) || spelled_otherwise)
                {
                    bits |= Written::OPAQUE_AS_WRITTEN;
                }
                target.written = Written(target.written.0 & Written::TRAILING_DOT | bits);
                if bits & Written::OPAQUE_AS_WRITTEN != 0 {
                    // Node's URL keeps an opaque host's case too.
                    target.spelled = Some(host.into());
                } else if bits & (Written::IP_OTHERWISE | Written::IPV6_OTHERWISE) != 0 {
                    target = target.spelled_as(host);
                }
                // The path as written (Postman's parser does not normalise it).
                let host: Box<str> = target.host_text().into();
                let target = Target {
                    host_end: host.len() as u32,
                    host,
                    ..target
                };
                Ok(target.with_path(raw_path(text, sep, url.is_special())))
            }
            Err(url::ParseError::InvalidPort) => Err(err(ErrorKind::InvalidPort)),
            Err(url::ParseError::EmptyHost) => Err(err(ErrorKind::MissingHost)),
            Err(url::ParseError::RelativeUrlWithoutBase) => Err(err(ErrorKind::MissingScheme)),
            Err(
                url::ParseError::IdnaError
                | url::ParseError::InvalidIpv4Address
                | url::ParseError::InvalidIpv6Address
                | url::ParseError::InvalidDomainCharacter,
            ) => Err(err(ErrorKind::InvalidHost)),
            Err(_) => Err(err(ErrorKind::InvalidUrl)),
        }
    }

    /// A target from a parsed [`url::Url`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingHost`] for a URL without a host (`file:///x`,
    /// `mailto:`), [`ErrorKind::InvalidHost`] for an opaque host that is not a
    /// domain name.
    pub fn from_url(url: &url::Url) -> Result<Self> {
        let err = |kind| Error::new(kind, Origin::Text, url.as_str());
        let scheme = scheme_of(url.scheme());
        let (host, ip) = match url.host() {
            // `file:///path` (and `file://localhost/path`, which the URL
            // parser empties): a local file, no host to connect to. curl
            // reads it itself; the empty host matches no name rule.
            None if url.scheme() == "file" => {
                return Ok(Target::assemble(
                    scheme,
                    "".into(),
                    None,
                    None,
                    None,
                    Written::default(),
                ))
            }
            None => return Err(err(ErrorKind::MissingHost)),
            Some(url::Host::Ipv4(a)) => (a.to_string().into(), Some(IpAddr::V4(a))),
            Some(url::Host::Ipv6(a)) => (format!("[{a}]").into(), Some(IpAddr::V6(a))),
            // Special schemes have had their hosts normalised by the URL parser
            // already; an opaque host of another scheme gets the same treatment here.
            Some(url::Host::Domain(d)) if url.is_special() => (strip_dot(d).into(), None),
            Some(url::Host::Domain(d)) => normalize_host(d).map_err(err)?,
        };
        if host.is_empty() {
            return Err(err(ErrorKind::MissingHost));
        }
        let written = match url.host() {
            Some(url::Host::Domain(d)) => Written::of_host(d),
            _ => Written::default(),
        };
        let written = written.with_port(url.port().is_some());
        Ok(Target::assemble(scheme, host, ip, None, url.port(), written).with_path(url.path()))
    }

    /// A target from an [`http::Uri`], which must be absolute.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingScheme`] or [`ErrorKind::MissingHost`] for a relative
    /// URI, [`ErrorKind::InvalidHost`] for a host that is not a domain or IP.
    pub fn from_uri(uri: &http::Uri) -> Result<Self> {
        let text = uri.to_string();
        let err = |kind| Error::new(kind, Origin::Text, &text);
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| err(ErrorKind::MissingScheme))?;
        let host = uri.host().ok_or_else(|| err(ErrorKind::MissingHost))?;
        let written = Written::of_host(host).with_port(uri.port().is_some());
        let (host, ip, zone) = if host.starts_with('[') {
            parse_bracketed(host).map_err(err)?
        } else {
            let (host, ip) = normalize_host(host).map_err(err)?;
            (host, ip, None)
        };
        if host.is_empty() {
            return Err(err(ErrorKind::MissingHost));
        }
        Ok(
            Target::assemble(scheme_of(scheme), host, ip, zone, uri.port_u16(), written)
                .with_path(uri.path()),
        )
    }

    /// A target from parts: a scheme, a host (name or IP, IPv6 with or without
    /// brackets) and an optional explicit port.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidHost`] or [`ErrorKind::MissingHost`] for a bad host.
    pub fn new(scheme: &str, host: &str, port: Option<u16>) -> Result<Self> {
        let err = |kind| Error::new(kind, Origin::Text, host);
        let written = Written::of_host(host).with_port(port.is_some());
        let (host, ip, zone) = if host.starts_with('[') {
            parse_bracketed(host).map_err(err)?
        } else if host.contains(':') {
            parse_bracketed(&format!("[{host}]")).map_err(err)?
        } else {
            let (host, ip) = normalize_host(host).map_err(err)?;
            (host, ip, None)
        };
        if host.is_empty() {
            return Err(err(ErrorKind::MissingHost));
        }
        Ok(Target::assemble(
            scheme_of(&scheme.to_ascii_lowercase()),
            host,
            ip,
            zone,
            port,
            written,
        ))
    }

    fn assemble(
        scheme: Scheme,
        host: Box<str>,
        ip: Option<IpAddr>,
        zone: Option<Box<str>>,
        explicit_port: Option<u16>,
        written: Written,
    ) -> Self {
        let default = match scheme {
            Scheme::Known(i) => Some(KNOWN_SCHEMES[usize::from(i)].1),
            Scheme::Other(_) => None,
        };
        let suffixes = match (ip, &zone) {
            (None, None) => Suffixes::of(&host),
            _ => Suffixes::NONE,
        };
        Target {
            scheme,
            host_end: host.len() as u32,
            host,
            ip,
            zone,
            port: explicit_port.or(default),
            written,
            suffixes,
            spelled: None,
        }
    }

    /// The same target with the URL's path (without query or fragment),
    /// backslashes read as slashes, as Postman's URL parser reads them.
    #[must_use]
    fn with_path(mut self, path: &str) -> Self {
        if path.is_empty() || path == "/" || self.host.len() > u32::MAX as usize / 2 {
            return self;
        }
        let path = path.get(..u32::MAX as usize / 2).unwrap_or(path);
        let mut text = String::with_capacity(self.host.len() + path.len());
        text.push_str(&self.host);
        if path.contains('\\') {
            text.extend(path.chars().map(|c| if c == '\\' { '/' } else { c }));
        } else {
            text.push_str(path);
        }
        self.host = text.into_boxed_str();
        self
    }

    /// The host part of the buffer (brackets kept).
    #[inline]
    fn host_text(&self) -> &str {
        &self.host[..self.host_end as usize]
    }

    /// The URL's path, without query or fragment; `/` when the URL has none
    /// (or the target was made from parts). Text parsed by
    /// [`Target::parse`] keeps the path as written (backslashes read as
    /// slashes); a [`url::Url`] or [`http::Uri`] gives its own, normalised
    /// path. Only Postman's match patterns look at it.
    ///
    /// ```
    /// use proxyroute::Target;
    /// let t: Target = "https://h.example/a b/c?q#f".parse()?;
    /// assert_eq!(t.path(), "/a b/c");
    /// assert_eq!("http://h.example".parse::<Target>()?.path(), "/");
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        match &self.host[self.host_end as usize..] {
            "" => "/",
            path => path,
        }
    }

    /// The prehashed domain suffixes of a host name (none for IP literals).
    pub(crate) fn suffixes(&self) -> &Suffixes {
        &self.suffixes
    }

    /// The request's scheme, lower case.
    pub fn scheme(&self) -> &str {
        match &self.scheme {
            Scheme::Known(i) => KNOWN_SCHEMES[usize::from(*i)].0,
            Scheme::Other(s) => s,
        }
    }

    /// The index of a known scheme (see `KNOWN_SCHEMES`), for table lookups.
    pub(crate) fn scheme_index(&self) -> Option<u8> {
        match self.scheme {
            Scheme::Known(i) => Some(i),
            Scheme::Other(_) => None,
        }
    }

    /// The host: a lower-case ASCII name without a trailing dot, a dotted IPv4
    /// address, or an IPv6 address without brackets or zone.
    pub fn host(&self) -> &str {
        let host = self.host_text();
        if host.starts_with('[') {
            &host[1..host.len() - 1]
        } else {
            host
        }
    }

    /// The host as a URL writes it: IPv6 addresses in brackets.
    pub fn host_in_url(&self) -> &str {
        self.host_text()
    }

    /// The IP address, when the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The IPv6 zone id (`eth0` in `[fe80::1%eth0]`), if one was given.
    pub fn zone(&self) -> Option<&str> {
        self.zone.as_deref()
    }

    /// The port: the explicit one, or the scheme's default. `None` for an
    /// unknown scheme without a port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether the port was given explicitly and differs from the scheme's default.
    pub fn has_explicit_port(&self) -> bool {
        match self.scheme {
            Scheme::Known(i) => self.port != Some(KNOWN_SCHEMES[usize::from(i)].1),
            Scheme::Other(_) => self.port.is_some(),
        }
    }

    /// Whether the URL wrote a port, even the scheme's default (`http://h:80/`).
    /// A [`url::Url`] drops a default port, so a target made from one answers
    /// `false` for it.
    pub fn port_written(&self) -> bool {
        self.written.has(Written::PORT) || self.has_explicit_port()
    }

    /// Whether the URL wrote the host with a trailing dot (`example.com.`);
    /// [`host`](Target::host) has it removed.
    pub fn has_trailing_dot(&self) -> bool {
        self.written.has(Written::TRAILING_DOT)
    }

    /// Whether the URL wrote an IPv4 host in another spelling than dotted
    /// decimal (`http://0x7f.1/`, `http://167838211/`): Go and urllib compare
    /// such a host as written, so it is no address for them.
    ///
    /// ```
    /// let t = proxyroute::Target::parse("http://0x7f.1/")?;
    /// assert_eq!(t.host(), "127.0.0.1");
    /// assert!(t.ip_spelled_otherwise());
    /// assert!(!proxyroute::Target::parse("http://127.0.0.1/")?.ip_spelled_otherwise());
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn ip_spelled_otherwise(&self) -> bool {
        self.written.has(Written::IP_OTHERWISE)
    }

    /// The same target, with `host` as its spelling (see `spelled`).
    pub(crate) fn spelled_as(mut self, host: &str) -> Self {
        self.spelled = Some(host.to_ascii_lowercase().into());
        self
    }

    /// The host as a tool that reads it as written sees it (see the field).
    pub(crate) fn spelled(&self) -> Option<&str> {
        self.spelled.as_deref()
    }

    /// Whether the URL wrote the host with ASCII upper case (`LocalHost`).
    pub fn host_had_upper_case(&self) -> bool {
        self.written.has(Written::UPPER)
    }

    /// Whether the URL wrote the host in Unicode (`bücher.example`), which
    /// [`host`](Target::host) gives in punycode. Only text parsed by
    /// [`Target::parse`] or [`Target::new`] can say so.
    pub fn host_was_unicode(&self) -> bool {
        self.written.has(Written::UNICODE)
    }

    /// How the host and port were written, as bits.
    #[inline]
    pub(crate) fn written(&self) -> Written {
        self.written
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.scheme == other.scheme
            && self.host_text() == other.host_text()
            && self.ip == other.ip
            && self.zone == other.zone
            && self.port == other.port
            && self.has_trailing_dot() == other.has_trailing_dot()
    }
}

impl Eq for Target {}

impl std::hash::Hash for Target {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.scheme.hash(state);
        self.host_text().hash(state);
        self.ip.hash(state);
        self.zone.hash(state);
        self.port.hash(state);
        self.has_trailing_dot().hash(state);
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme(), self.host_text())?;
        if self.has_trailing_dot() {
            f.write_str(".")?;
        }
        if self.has_explicit_port() {
            if let Some(port) = self.port {
                write!(f, ":{port}")?;
            }
        }
        f.write_str("/")
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

impl FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Target::parse(s)
    }
}

impl TryFrom<&str> for Target {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Target::parse(s)
    }
}

impl TryFrom<&url::Url> for Target {
    type Error = Error;
    fn try_from(url: &url::Url) -> Result<Self> {
        Target::from_url(url)
    }
}

impl TryFrom<&http::Uri> for Target {
    type Error = Error;
    fn try_from(uri: &http::Uri) -> Result<Self> {
        Target::from_uri(uri)
    }
}

fn scheme_of(scheme: &str) -> Scheme {
    match KNOWN_SCHEMES.iter().position(|(name, _)| *name == scheme) {
        Some(i) => Scheme::Known(i as u8),
        None => Scheme::Other(scheme.into()),
    }
}

/// Whether `addr` (or the IPv4 address it maps) is a loopback address.
pub(crate) fn is_loopback(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `addr` (or the IPv4 address it maps) is link-local.
pub(crate) fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => {
            (a.segments()[0] & 0xffc0) == 0xfe80
                || a.to_ipv4_mapped()
                    .is_some_and(|v4: Ipv4Addr| v4.is_link_local())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(t: &Target) -> (String, String, Option<u16>) {
        (t.scheme().into(), t.host().into(), t.port())
    }

    #[test]
    fn normalisation_rows() {
        let rows: &[(&str, &str, &str, Option<u16>)] = &[
            ("upper case", "HTTP://EXAMPLE.COM/", "example.com", Some(80)),
            (
                "trailing dot",
                "http://example.com./",
                "example.com",
                Some(80),
            ),
            ("idna", "https://bücher.de/", "xn--bcher-kva.de", Some(443)),
            ("hex ipv4", "http://0x7f.1/", "127.0.0.1", Some(80)),
            ("decimal ipv4", "http://2130706433/", "127.0.0.1", Some(80)),
            ("short ipv4", "http://127.1/", "127.0.0.1", Some(80)),
            ("octal ipv4", "http://0177.0.0.1/", "127.0.0.1", Some(80)),
            ("ipv6", "http://[0:0::1]:8080/", "::1", Some(8080)),
            (
                "mapped",
                "http://[::ffff:127.0.0.1]/",
                "::ffff:127.0.0.1",
                Some(80),
            ),
            ("userinfo", "http://u:p@host:81/", "host", Some(81)),
            ("unknown scheme", "foo://Host/", "host", None),
            ("socks default", "gopher://h/", "h", Some(70)),
            ("ws", "ws://h/", "h", Some(80)),
            (
                "percent host",
                "http://ex%61mple.com/",
                "example.com",
                Some(80),
            ),
        ];
        for (name, input, host, port) in rows {
            let t: Target = input.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((t.host(), t.port()), (*host, *port), "{name}");
            if let Ok(url) = url::Url::parse(input) {
                assert_eq!(
                    parts(&Target::from_url(&url).unwrap()),
                    parts(&t),
                    "{name} via url"
                );
            }
            if let Ok(uri) = input.parse::<http::Uri>() {
                if let Ok(via_uri) = Target::from_uri(&uri) {
                    assert_eq!(parts(&via_uri), parts(&t), "{name} via uri");
                }
            }
        }
    }

    #[test]
    fn written_forms_agree_with_the_url_parser() {
        for input in [
            "http://127.0.0.1./",
            "http://Example.COM./x",
            "http://0x7f.1./",
            "http://[::1]:80/",
            "https://bücher.example./",
        ] {
            let parsed: Target = input.parse().unwrap();
            let via_url = Target::from_url(&url::Url::parse(input).unwrap()).unwrap();
            assert_eq!(parsed, via_url, "{input}");
            assert_eq!(
                parsed.has_trailing_dot(),
                via_url.has_trailing_dot(),
                "{input}"
            );
        }
        let t: Target = "http://127.0.0.1./".parse().unwrap();
        assert!(!t.has_trailing_dot(), "an address keeps no dot");
        let t: Target = "HTTP://LocalHost:80/".parse().unwrap();
        assert!(t.host_had_upper_case() && t.port_written() && !t.has_explicit_port());
    }

    #[test]
    fn zone_ids_are_kept_apart() {
        for input in ["http://[fe80::1%25eth0]/", "http://[fe80::1%eth0]:80/"] {
            let t: Target = input.parse().unwrap();
            assert_eq!(t.host(), "fe80::1");
            assert_eq!(t.zone(), Some("eth0"));
        }
    }

    #[test]
    fn bad_targets() {
        let rows = [
            ("example.com", ErrorKind::MissingScheme),
            ("http://h:65536/", ErrorKind::InvalidPort),
            ("http://[::1/", ErrorKind::InvalidHost),
            ("http:///", ErrorKind::MissingHost),
        ];
        for (input, kind) in rows {
            assert_eq!(Target::parse(input).unwrap_err().kind(), &kind, "{input}");
        }
    }
}

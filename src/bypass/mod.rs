//! Bypass lists: which hosts skip the proxy.
//!
//! A list is parsed once under a [`Dialect`]'s rules into plain
//! [`BypassRule`]s (see [`no_proxy`] for each dialect's reading), then compiled into
//! a [`BypassMatcher`] whose queries do not allocate and whose cost does not
//! grow with the list: long lists are hashed, and a kind of rule with at
//! most 16 entries is checked in order, which is faster (see [`engine`]). [`BypassList::find_linear`] is the slow, obviously-correct
//! reference the compiled form is tested against.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;

use crate::dialect::Dialect;
use crate::error::{Error, Origin, Violation};
use crate::target::{is_link_local, is_loopback, Target};

pub mod chromium;
pub mod engine;
mod glob;
pub mod gnome;
pub mod kde;
pub mod macos;
pub mod no_proxy;
mod oracle;
pub mod postman;
mod syntax;
pub(crate) mod table;
pub mod windows;

pub use engine::BypassMatcher;
pub use syntax::BypassSyntax;

/// What one bypass entry matches, after the dialect's reading of its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pattern {
    /// Every host, names and IP literals alike (`*`).
    All,
    /// Every host name but no IP literal (hyper-util's reading of `*`).
    AllNames,
    /// Exactly this host.
    Host(Box<str>),
    /// This host and every subdomain, on a label boundary (`example.com` matches
    /// `a.example.com`, never `badexample.com`).
    Domain(Box<str>),
    /// Every subdomain of this host, not the host itself.
    Subdomains(Box<str>),
    /// Every host whose text ends with this text, label boundary or not
    /// (Chromium's `*example.com`, which also matches `badexample.com`).
    HostSuffix(Box<str>),
    /// An IP address or CIDR block, matching IP-literal hosts only.
    Net(IpNet),
    /// A wildcard pattern over the host's text: `*` any run of characters, `?`
    /// one character (`*.example.com`, `10.*`, `intra*`).
    Glob(Box<str>),
    /// Host names without a dot, never IP literals (`<local>` in Windows and
    /// Chromium lists).
    PlainHostnames,
    /// Hosts the dialect bypasses implicitly *do* use the proxy (`<-loopback>`);
    /// entries before it still apply.
    SubtractImplicit,
}

/// One parsed bypass entry: what it matches, on which port, and the text and
/// position it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BypassRule {
    pattern: Pattern,
    port: Option<u16>,
    scheme: Option<Box<str>>,
    /// What the host must (not) have been written with for a name rule to
    /// match: the tools that compare the host as written.
    pub(crate) need: Need,
    /// The URL path the rule is limited to (Postman match patterns).
    path: Option<postman::PathGlob>,
    text: Box<str>,
    index: usize,
}

/// The [`Written`](crate::target::Written) bits a rule requires and forbids:
/// a name rule of a tool that keeps the trailing dot matches only hosts
/// written as its entry is (`example.com.` only `example.com.`), and urllib
/// compares Unicode and punycode as different text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Need {
    pub(crate) required: u8,
    pub(crate) forbidden: u8,
}

impl Need {
    /// No condition.
    pub(crate) const ANY: Need = Need {
        required: 0,
        forbidden: 0,
    };

    #[inline]
    pub(crate) fn admits(self, written: crate::target::Written) -> bool {
        let bits = written.bits();
        bits & self.required == self.required && bits & self.forbidden == 0
    }
}

impl BypassRule {
    pub(crate) fn new(pattern: Pattern, port: Option<u16>, text: &str, index: usize) -> Self {
        BypassRule {
            pattern,
            port,
            scheme: None,
            need: Need::ANY,
            path: None,
            text: text.into(),
            index,
        }
    }

    /// The same rule, limited to URL paths `glob` matches.
    #[must_use]
    pub(crate) fn with_path(mut self, glob: postman::PathGlob) -> Self {
        self.path = Some(glob);
        self
    }

    /// Whether the rule is limited to some URL paths.
    pub(crate) fn has_path(&self) -> bool {
        self.path.is_some()
    }

    /// Whether the target's path meets the rule's path condition.
    #[inline]
    pub(crate) fn admits_path(&self, target: &Target) -> bool {
        self.path.as_ref().is_none_or(|g| g.matches(target.path()))
    }

    /// The same rule, matching only hosts written as `need` says.
    #[must_use]
    pub(crate) fn with_need(mut self, need: Need) -> Self {
        self.need = need;
        self
    }

    /// Whether the host as written meets the rule's conditions.
    #[inline]
    pub(crate) fn admits_written(&self, target: &Target) -> bool {
        self.need.admits(target.written())
    }

    /// Whether the rule matches only hosts written with a trailing dot.
    pub fn needs_trailing_dot(&self) -> bool {
        self.need.required & crate::target::Written::TRAILING_DOT != 0
    }

    /// The same rule, limited to requests of `scheme` (`http://example.com`).
    #[must_use]
    pub(crate) fn with_scheme(mut self, scheme: &str) -> Self {
        self.scheme = Some(scheme.to_ascii_lowercase().into());
        self
    }

    /// The request scheme the entry is limited to, if any.
    pub fn scheme(&self) -> Option<&str> {
        self.scheme.as_deref()
    }

    /// What the entry matches.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The port the entry is limited to, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The entry as written (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The entry's position (from 0) in the list as written, empty entries counted.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Display for BypassRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Hosts that a tool never proxies, whatever its list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImplicitBypass {
    /// None.
    None,
    /// Go: `localhost` and every loopback address.
    Loopback,
    /// Chromium: `localhost`, `*.localhost`, loopback and link-local addresses.
    LocalAndLinkLocal,
    /// Windows (WinINet's set, as Chromium on Windows applies it): everything
    /// [`LocalAndLinkLocal`](ImplicitBypass::LocalAndLinkLocal) covers, and the
    /// host name `loopback`.
    WinInet,
    /// macOS (the platform resolver's set, as Chromium's change aligning with
    /// it describes it, crrev.com/c/1303626): `localhost`, loopback addresses
    /// (`127.0.0.0/8`, `::1`) and link-local addresses (`169.254.0.0/16`,
    /// `fe80::/10`); not `*.localhost`.
    Macos,
}

impl ImplicitBypass {
    /// Whether this implicit rule covers `target`, and how to describe it.
    pub(crate) fn covers(self, target: &Target) -> Option<&'static str> {
        match self {
            ImplicitBypass::None => None,
            // Go compares the host as written with "localhost", before it
            // lower-cases anything: `LocalHost` and `localhost.` are proxied
            // (x/net/http/httpproxy `useProxy`; checked against Go 1.19).
            // An address written otherwise (`0x7f.1`) is no IP for Go.
            ImplicitBypass::Loopback => match target.ip() {
                Some(_) if target.ip_spelled_otherwise() => None,
                Some(ip) if is_loopback(ip) => Some("loopback address (implicit)"),
                None if target.host() == "localhost"
                    && !target.has_trailing_dot()
                    && !target.host_had_upper_case() =>
                {
                    Some("localhost (implicit)")
                }
                _ => None,
            },
            ImplicitBypass::LocalAndLinkLocal => match target.ip() {
                Some(ip) if is_loopback(ip) => Some("loopback address (implicit)"),
                Some(ip) if is_link_local(ip) => Some("link-local address (implicit)"),
                None if target.host() == "localhost" || target.host().ends_with(".localhost") => {
                    Some("localhost (implicit)")
                }
                _ => None,
            },
            ImplicitBypass::WinInet => match target.ip() {
                None if target.host() == "loopback" => Some("the name loopback (implicit)"),
                _ => ImplicitBypass::LocalAndLinkLocal.covers(target),
            },
            ImplicitBypass::Macos => match target.ip() {
                Some(ip) if is_loopback(ip) => Some("loopback address (implicit)"),
                Some(ip) if is_link_local(ip) => Some("link-local address (implicit)"),
                None if target.host() == "localhost" => Some("localhost (implicit)"),
                _ => None,
            },
        }
    }
}

/// The host text name rules compare: the target's own, or (an IPv4-mapped
/// IPv6 address as a WHATWG URL writes it) one made here, on the stack.
pub(crate) enum HostText<'t> {
    Borrowed(&'t str),
    Inline { bytes: [u8; 20], len: u8 },
}

impl HostText<'_> {
    /// `[::ffff:a01:203]` for `::ffff:10.1.2.3`: the last two groups in hex,
    /// as the WHATWG serialiser writes every IPv6 address.
    fn mapped_in_hex(v6: std::net::Ipv6Addr, brackets: bool) -> Self {
        use std::io::Write;
        let s = v6.segments();
        let mut bytes = [0u8; 20];
        let mut cursor = std::io::Cursor::new(&mut bytes[..]);
        let (open, close) = if brackets { ("[", "]") } else { ("", "") };
        // At most 18 bytes: `[::ffff:ffff:ffff]`.
        let _ = write!(cursor, "{open}::ffff:{:x}:{:x}{close}", s[6], s[7]);
        let len = cursor.position() as u8;
        HostText::Inline { bytes, len }
    }
}

impl std::ops::Deref for HostText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            HostText::Borrowed(text) => text,
            HostText::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
        }
    }
}

/// How a list's name rules see hosts and ports: the parts of a dialect that
/// apply at match time rather than parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MatchFlags {
    /// Name rules also see IP-literal hosts, as text (tools that compare strings).
    pub(crate) names_see_ips: bool,
    /// That text writes IPv6 addresses in brackets (`[::1]`, as `URL.host` does).
    pub(crate) bracket_ipv6: bool,
    /// A rule's port matches only a port written in the URL (Python).
    pub(crate) explicit_port_only: bool,
    /// postman-request: the entry must first occur in `.host` at its very end.
    pub(crate) first_occurrence: bool,
    /// IPv4-mapped IPv6 hosts meet IPv6 rules only, and IPv4 hosts IPv4
    /// rules only (curl); otherwise a mapped address meets both families.
    pub(crate) ip_families_apart: bool,
    /// IPv6 hosts are names: name rules see their text (no brackets), IP
    /// rules never see them (curl 7.x: `Curl_check_noproxy` gets the host
    /// without brackets and reads it as a name; checked against curl 7.88).
    pub(crate) v6_as_text: bool,
    /// IPv6 hosts are written as a WHATWG URL serialises them: an
    /// IPv4-mapped address in hex (`[::ffff:a01:203]`), where Rust and glibc
    /// write it dotted (`[::ffff:10.1.2.3]`). Node's `URL`, which
    /// proxy-from-env compares entries with (Node 20, run here).
    pub(crate) whatwg_ipv6: bool,
    /// Hosts written so (any of these `Written` bits) are names to the tool,
    /// spelled as written: its name entries match the spelling
    /// ([`Target::spelled`](crate::Target), lower-cased for IP hosts), and
    /// its IP and CIDR entries do not. An IPv4 address in another spelling
    /// than dotted decimal (Go 1.19: `2.3` and `0xa.1.2.3` match
    /// `http://0xa.1.2.3/`; CPython 3.11's text comparison, IPv6 written
    /// otherwise too), or an opaque host Node's URL keeps as written
    /// (`gopherx://Foo.example/` matches `.example`, not `foo.example`;
    /// proxy-from-env 2.1.0).
    pub(crate) as_written: u8,
    /// Hosts never proxied by this tool.
    pub(crate) implicit: ImplicitBypass,
}

impl MatchFlags {
    pub(crate) const PLAIN: MatchFlags = MatchFlags {
        names_see_ips: false,
        bracket_ipv6: false,
        explicit_port_only: false,
        first_occurrence: false,
        ip_families_apart: false,
        v6_as_text: false,
        whatwg_ipv6: false,
        as_written: 0,
        implicit: ImplicitBypass::None,
    };

    /// The text name rules compare against, or `None` when they do not apply.
    pub(crate) fn name_text<'t>(&self, target: &'t Target) -> Option<HostText<'t>> {
        if target.zone().is_some() {
            return None;
        }
        if target.written().bits() & self.as_written != 0 {
            return target.spelled().map(HostText::Borrowed);
        }
        let text = match target.ip() {
            None => target.host(),
            Some(IpAddr::V6(_)) if self.v6_as_text => target.host(),
            Some(_) if !self.names_see_ips => return None,
            Some(IpAddr::V6(v6)) if self.whatwg_ipv6 && v6.to_ipv4_mapped().is_some() => {
                return Some(HostText::mapped_in_hex(v6, self.bracket_ipv6));
            }
            Some(IpAddr::V6(_)) if self.bracket_ipv6 => target.host_in_url(),
            Some(_) => target.host(),
        };
        Some(HostText::Borrowed(text))
    }

    /// Whether `rule`'s port and scheme limits admit `target`.
    pub(crate) fn rule_ok(&self, rule: &BypassRule, target: &Target) -> bool {
        self.port_ok(rule.port, target)
            && rule.admits_written(target)
            && rule.admits_path(target)
            && rule.scheme.as_deref().is_none_or(|s| s == target.scheme())
    }

    pub(crate) fn port_ok(&self, rule_port: Option<u16>, target: &Target) -> bool {
        match rule_port {
            None => true,
            Some(_) if self.explicit_port_only && !target.port_written() => false,
            Some(port) => target.port() == Some(port),
        }
    }
}

/// Why a host bypasses the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BypassHit<'a> {
    /// An entry of the list.
    Rule(&'a BypassRule),
    /// The tool's implicit bypass (Go's and Chromium's localhost and loopback).
    Implicit(&'static str),
    /// A reversed list (KDE's `ReversedException`, Chromium's reverse bypass)
    /// names the hosts that use the proxy, and this host is not among them.
    NotListed,
}

/// A parsed bypass list: its rules, how to match them, and the entries that
/// were skipped or flagged while reading it.
///
/// ```
/// use proxyroute::{BypassList, Dialect, Target};
/// let list = BypassList::parse("localhost, .corp.example, 10.0.0.0/8, *.x", Dialect::Curl);
/// assert_eq!(list.rules().len(), 3);
/// // curl has no `*.x` wildcard: the entry is reported, not silently dropped.
/// assert_eq!(list.violations()[0].index(), Some(3));
/// let matcher = list.compile();
/// assert!(matcher.matches(&"https://git.corp.example/".parse()?));
/// assert!(matcher.matches(&"http://10.1.2.3/".parse()?));
/// assert!(!matcher.matches(&"http://badcorp.example/".parse()?));
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BypassList {
    /// Shared with the lists' clones and with compiled matchers, which keep
    /// the list they were compiled from.
    rules: Arc<[BypassRule]>,
    violations: Arc<[Violation]>,
    flags: MatchFlags,
    dialect: Dialect,
    reversed: bool,
    syntax: BypassSyntax,
}

impl BypassList {
    /// Reads a `NO_PROXY`-style list as `dialect` would, leniently: entries that
    /// cannot be read, or can never match under that dialect, are skipped and
    /// reported in [`violations`](BypassList::violations).
    pub fn parse(text: &str, dialect: Dialect) -> Self {
        BypassList::parse_from(text, dialect, Origin::Text)
    }

    /// As [`parse`](BypassList::parse), naming `origin` in violations.
    pub fn parse_from(text: &str, dialect: Dialect, origin: Origin) -> Self {
        let spec = &dialect.spec().no_proxy;
        let (rules, violations) = no_proxy::parse(text, spec, &origin);
        BypassList {
            rules: rules.into(),
            violations: violations.into(),
            flags: spec.flags,
            dialect,
            reversed: false,
            syntax: BypassSyntax::NoProxy,
        }
    }

    /// The same list read the other way round: it names the hosts that *use*
    /// the proxy, and every other host bypasses it (KDE's `ReversedException`,
    /// the CLI's `--reverse-bypass`).
    #[must_use]
    pub fn reversed(mut self, reversed: bool) -> Self {
        self.reversed = reversed;
        self
    }

    /// Whether the list is reversed.
    pub fn is_reversed(&self) -> bool {
        self.reversed
    }

    /// Reads a list strictly: the first entry that would be a violation is an error.
    ///
    /// # Errors
    ///
    /// The first violation, as an [`Error`] naming the entry's index and text.
    pub fn parse_strict(text: &str, dialect: Dialect, origin: Origin) -> Result<Self, Error> {
        let list = BypassList::parse_from(text, dialect, origin);
        match list.violations.first() {
            Some(v) => Err(Error::from_violation(v)),
            None => Ok(list),
        }
    }

    /// An empty list that still carries `dialect`'s implicit bypass.
    pub fn empty(dialect: Dialect) -> Self {
        BypassList::parse("", dialect)
    }

    /// The rules, in the order they are tried: list order, except for the
    /// syntaxes where a later entry overrides an earlier one (Chromium and
    /// Windows, for `<-loopback>`), whose rules are stored last entry first.
    /// One entry may make several rules (a Postman pattern for `http+https`);
    /// [`BypassRule::index`] names the entry either way.
    pub fn rules(&self) -> &[BypassRule] {
        &self.rules
    }

    /// Entries skipped or flagged while reading.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The dialect the list was read under.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The hosts this list's dialect never proxies, whatever the list says.
    pub fn implicit(&self) -> ImplicitBypass {
        self.flags.implicit
    }

    pub(crate) fn flags(&self) -> MatchFlags {
        self.flags
    }

    /// A list from rules a syntax parser made.
    pub(crate) fn from_parts(
        rules: Vec<BypassRule>,
        violations: Vec<Violation>,
        flags: MatchFlags,
        dialect: Dialect,
    ) -> Self {
        BypassList {
            rules: rules.into(),
            violations: violations.into(),
            flags,
            dialect,
            reversed: false,
            syntax: BypassSyntax::NoProxy,
        }
    }

    /// The same list, marked as read in `syntax`.
    pub(crate) fn with_syntax(mut self, syntax: BypassSyntax) -> Self {
        self.syntax = syntax;
        self
    }

    /// The same list, naming `dialect` as the one it was read under.
    pub(crate) fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The syntax the list was written in ([`BypassSyntax::NoProxy`] for lists
    /// read by [`parse`](BypassList::parse)).
    pub fn syntax(&self) -> BypassSyntax {
        self.syntax
    }

    /// Whether the list has no rules and no implicit bypass.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.flags.implicit == ImplicitBypass::None && !self.reversed
    }

    /// Compiles the list for fast queries.
    pub fn compile(&self) -> BypassMatcher {
        BypassMatcher::new(self)
    }

    /// The first rule (lowest index) that matches `target`, or the implicit
    /// bypass, found by trying every rule in turn. This is the reference the
    /// compiled [`BypassMatcher`] is tested against; it is slow on long lists.
    pub fn find_linear(&self, target: &Target) -> Option<BypassHit<'_>> {
        oracle::find(self, target)
    }
}

impl fmt::Display for BypassList {
    /// The entries' texts in the order written, each once, joined by `,`,
    /// which parses back to the same rules (in the list's own syntax).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rules: Vec<&BypassRule> = self.rules.iter().collect();
        rules.sort_by_key(|r| r.index);
        rules.dedup_by_key(|r| r.index);
        // GNOME's text form is also GVariant array text: a first entry that
        // starts like an array gets an empty entry before it, which the
        // text reader skips.
        if self.syntax == BypassSyntax::Gnome
            && rules
                .first()
                .is_some_and(|r| gnome::looks_like_array(r.text.trim_start()))
        {
            f.write_str(",")?;
        }
        for (i, rule) in rules.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&rule.text)?;
        }
        Ok(())
    }
}

impl FromStr for BypassList {
    type Err = Error;

    /// Parses strictly under [`Dialect::Curl`].
    fn from_str(s: &str) -> Result<Self, Error> {
        BypassList::parse_strict(s, Dialect::Curl, Origin::Text)
    }
}

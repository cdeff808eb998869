//! Reading `NO_PROXY`-style text as each tool does.
//!
//! Every dialect is a `NoProxySpec`: how entries are separated, what `*`, a
//! bare name, a leading `.` and a leading `*.` mean, whether ports, IP addresses
//! and CIDR blocks are understood, and how hosts are compared. The parser below
//! is shared; only the table differs. Entries a tool would read but never match
//! (curl's `host:port`, .NET's `*.example.com`) become [`Violation`]s, so the
//! explanation can say why an entry "does nothing".
//!
//! One tool reads its `no_proxy` with the grammar of its own bypass lists:
//! Chromium parses the variable as a `ProxyBypassRules` string and then turns
//! every host-name rule into a suffix rule (`RewriteRulesForSuffixMatching` in
//! `proxy_config_service_linux.cc`). Its table says so with
//! `Grammar::ChromiumSuffix`, and the entries are read by the Chromium
//! bypass syntax's reader.

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;

use super::{BypassRule, MatchFlags, Need, Pattern};
use crate::error::{ErrorKind, Origin, Violation, ViolationKind};
use crate::target::Written;

/// Which grammar reads the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    /// The `NO_PROXY` grammar below, configured by the rest of the table.
    NoProxy,
    /// Chromium's bypass-rule grammar (`<local>`, `<-loopback>`, `scheme://`
    /// prefixes, globs, later entries first), with host-name rules made suffix
    /// rules: `example.com` is read as `*example.com`.
    ChromiumSuffix,
}

/// How entries are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// `,` only; each entry trimmed.
    Comma,
    /// `,` or `;` (Chromium).
    CommaOrSemicolon,
    /// `,` or any whitespace (npm proxy-from-env).
    CommaOrWhitespace,
    /// curl: `,` with blanks around entries; a blank followed by anything but a
    /// comma ends the list.
    Curl,
}

/// What `*` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Star {
    /// Every host, but only when the whole value is exactly `*` (no blanks).
    WholeValue,
    /// Every host, as the whole value or as one entry among others.
    Item,
    /// As an entry: every host name, no IP literal (hyper-util).
    ItemNamesOnly,
    /// Nothing: the entry never matches.
    Never(&'static str),
}

/// What a name entry means, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameMode {
    /// Exactly this host.
    Host,
    /// This host and its subdomains.
    Domain,
    /// Its subdomains only.
    Subdomains,
    /// Any host whose text ends with the entry (no label boundary).
    HostSuffix,
    /// The entry never matches, for this reason.
    Never(&'static str),
}

/// How a port is written in an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortSyntax {
    /// `host:port` and `[v6]:port` limit the entry to that port.
    HostPort,
    /// `text:digits` at the end, greedy (npm proxy-from-env's `/^(.+):(\d+)$/`).
    TrailingDigits,
    /// Split at the first `:` (postman-request).
    FirstColon,
    /// An entry with a port never matches, for this reason.
    Never(&'static str),
}

/// How IP addresses in entries are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpSyntax {
    /// Parsed as addresses; `cidr` whether blocks are understood.
    Parsed {
        /// CIDR blocks understood.
        cidr: bool,
        /// curl reads a `/0` mask as "the whole address".
        zero_mask_is_exact: bool,
        /// What brackets around an IPv6 entry mean.
        brackets: Brackets,
    },
    /// Compared as text with the host, like names.
    Text,
}

/// Brackets around an IPv6 address in an entry (`[::1]`, `[::1]:8080`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Brackets {
    /// The entry never matches (curl and hyper-util parse the text as an
    /// address, brackets included, and fail).
    Never,
    /// Only with a port (Go splits `[addr]:port`; `[addr]` alone is read as a
    /// domain name and never matches).
    WithPort,
    /// With or without a port.
    Always,
}

/// What a trailing dot in an entry, and on the URL's host, means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrailingDot {
    /// Ignored on both sides (curl 7.88: `example.com.` matches `example.com`
    /// and the other way round).
    Stripped,
    /// Kept and compared as written: an entry with the dot matches only hosts
    /// written with one, an entry without only hosts without (Go,
    /// urllib, proxy-from-env).
    Kept,
}

/// How an entry written in Unicode (`bücher.example`) is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idn {
    /// Converted to punycode, as the URL's host is: it matches either spelling.
    Converted,
    /// Never matches: the tool converts the URL's host to punycode and
    /// compares the entry as written (curl 7.88, proxy-from-env 2.1.0).
    Never(&'static str),
    /// Both compared as written (urllib): a Unicode entry matches only a host
    /// written in Unicode, an entry with a punycode label only a host not
    /// written in Unicode.
    AsWritten,
}

/// How leading dots are removed before the dot rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dots {
    /// One leading dot.
    One,
    /// All leading dots.
    All,
}

/// One tool's reading of a `NO_PROXY` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoProxySpec {
    pub(crate) split: Split,
    pub(crate) star: Star,
    /// `example.com`
    pub(crate) bare: NameMode,
    /// `.example.com`
    pub(crate) dot: NameMode,
    pub(crate) dots: Dots,
    /// `*.example.com`
    pub(crate) star_dot: NameMode,
    /// `*example.com`
    pub(crate) star_prefix: NameMode,
    pub(crate) ports: PortSyntax,
    pub(crate) ip: IpSyntax,
    /// `example.com.`
    pub(crate) trailing_dot: TrailingDot,
    /// `bücher.example`
    pub(crate) idn: Idn,
    pub(crate) grammar: Grammar,
    pub(crate) flags: MatchFlags,
}

struct Reader<'a> {
    spec: &'a NoProxySpec,
    origin: &'a Origin,
    rules: Vec<BypassRule>,
    violations: Vec<Violation>,
}

impl Reader<'_> {
    fn flag(&mut self, index: usize, text: &str, kind: ViolationKind) {
        self.violations
            .push(Violation::new(self.origin.clone(), Some(index), text, kind));
    }

    fn never(&mut self, index: usize, text: &str, why: &'static str) {
        self.flag(index, text, ViolationKind::NeverMatches(why));
    }

    fn push(&mut self, pattern: Pattern, port: Option<u16>, text: &str, index: usize) {
        self.push_name(pattern, port, text, index, Need::ANY);
    }

    fn push_name(
        &mut self,
        pattern: Pattern,
        port: Option<u16>,
        text: &str,
        index: usize,
        mut need: Need,
    ) {
        // A host the tool reads as written (`0x7f.1`) is a name to it: only
        // `*` and name entries meet it.
        let names = matches!(
            pattern,
            Pattern::All
                | Pattern::Host(_)
                | Pattern::Domain(_)
                | Pattern::Subdomains(_)
                | Pattern::HostSuffix(_)
                | Pattern::Glob(_)
        );
        if !names {
            need.forbidden |= self.spec.flags.as_written;
        }
        self.rules
            .push(BypassRule::new(pattern, port, text, index).with_need(need));
    }
}

/// Parses `text` under `spec`, returning the rules and the violations.
pub(crate) fn parse(
    text: &str,
    spec: &NoProxySpec,
    origin: &Origin,
) -> (Vec<BypassRule>, Vec<Violation>) {
    if spec.grammar == Grammar::ChromiumSuffix {
        return chromium_suffix(text, origin);
    }
    let mut reader = Reader {
        spec,
        origin,
        rules: Vec::new(),
        violations: Vec::new(),
    };
    // curl, Python and postman-request compare the whole value with "*"; the
    // tools that read `*` as an entry find it below, blanks trimmed.
    if spec.star == Star::WholeValue && text == "*" {
        reader.push(Pattern::All, None, text, 0);
        return (reader.rules, reader.violations);
    }
    let entries = split(text, spec.split);
    reader.rules.reserve(entries.len());
    for (index, entry) in entries {
        entry_rule(&mut reader, index, entry);
    }
    (reader.rules, reader.violations)
}

/// The entries with their indices (empty entries counted but not returned).
fn split(text: &str, how: Split) -> Vec<(usize, &str)> {
    let parts: Vec<&str> = match how {
        Split::Comma => text.split(',').map(str::trim).collect(),
        Split::CommaOrSemicolon => text.split([',', ';']).map(str::trim).collect(),
        Split::CommaOrWhitespace => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .collect(),
        Split::Curl => {
            // curl 7.88 (run here): commas and blanks both separate entries;
            // `no_proxy="example.com other.com"` bypassed both hosts. (curl 8
            // stops reading at a blank inside the list; docs/dialects.md.)
            let mut parts = Vec::new();
            let blank = |c: char| c == ' ' || c == '\t';
            let mut rest = text.trim_start_matches(blank);
            while !rest.is_empty() {
                // ASCII bytes never sit inside a UTF-8 sequence.
                let end = rest
                    .bytes()
                    .position(|b| matches!(b, b' ' | b'\t' | b','))
                    .unwrap_or(rest.len());
                parts.push(&rest[..end]);
                rest = rest[end..].trim_start_matches(blank);
                // One comma at a time, so that empty entries keep their index.
                if let Some(after) = rest.strip_prefix(',') {
                    rest = after.trim_start_matches(blank);
                    while let Some(after) = rest.strip_prefix(',') {
                        parts.push("");
                        rest = after.trim_start_matches(blank);
                    }
                }
            }
            parts
        }
    };
    parts
        .into_iter()
        .enumerate()
        .filter(|(_, p)| !p.is_empty())
        .collect()
}

fn entry_rule(reader: &mut Reader<'_>, index: usize, raw: &str) {
    let spec = *reader.spec;
    let lower = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        Cow::Borrowed(raw)
    };
    let entry = &*lower;
    if entry == "*" {
        match spec.star {
            Star::Item => reader.push(Pattern::All, None, raw, index),
            Star::ItemNamesOnly => reader.push(Pattern::AllNames, None, raw, index),
            Star::WholeValue => reader.never(
                index,
                raw,
                "this tool reads * as 'every host' only when it is the whole value",
            ),
            Star::Never(why) => reader.never(index, raw, why),
        }
        return;
    }
    if !matches!(spec.ip, IpSyntax::Text) {
        if let Some(done) = ip_rule(reader, index, raw, entry) {
            return done;
        }
    } else if looks_like_cidr(entry) {
        return reader.never(
            index,
            raw,
            "this tool has no CIDR support; it compares the entry as text",
        );
    }
    if matches!(spec.ip, IpSyntax::Text)
        && entry.contains(':')
        && entry.parse::<std::net::Ipv6Addr>().is_ok()
    {
        return reader.never(
            index,
            raw,
            "this tool compares text and writes IPv6 hosts in brackets: write the entry as [addr]",
        );
    }
    // A name, possibly with a port.
    let (name, port) = match split_port(entry, spec.ports) {
        Ok(parts) => parts,
        Err(Some(why)) => return reader.never(index, raw, why),
        Err(None) => {
            return reader.flag(index, raw, ViolationKind::Invalid(ErrorKind::InvalidPort))
        }
    };
    let (mode, name) = if let Some(rest) = name.strip_prefix("*.") {
        (spec.star_dot, rest)
    } else if let Some(rest) = name.strip_prefix('*') {
        (spec.star_prefix, rest)
    } else if let Some(one) = name.strip_prefix('.') {
        let rest = match spec.dots {
            Dots::One => one,
            Dots::All => name.trim_start_matches('.'),
        };
        (spec.dot, rest)
    } else {
        (spec.bare, name)
    };
    if name.is_empty() || name == "." {
        return reader.never(index, raw, "the entry has no host name");
    }
    let mut need = Need::ANY;
    let name = match (spec.trailing_dot, name.strip_suffix('.')) {
        (TrailingDot::Stripped, Some(stripped)) if !stripped.is_empty() => stripped,
        (TrailingDot::Kept, Some(stripped)) if !stripped.is_empty() => {
            need.required |= Written::TRAILING_DOT;
            stripped
        }
        (TrailingDot::Kept, _) => {
            need.forbidden |= Written::TRAILING_DOT;
            name
        }
        _ => name,
    };
    if name.is_empty() || name == "." {
        return reader.never(index, raw, "the entry has no host name");
    }
    if name.contains('*') {
        return reader.never(index, raw, "this tool has no wildcards inside entries");
    }
    if name.bytes().any(|b| matches!(b, b'/' | b'?' | b'#' | b'@')) {
        return reader.never(
            index,
            raw,
            "the entry looks like a URL; bypass lists take host names",
        );
    }
    let text_ips = matches!(spec.ip, IpSyntax::Text);
    if name.bytes().any(|b| matches!(b, b':' | b'[' | b']')) && !text_ips {
        return reader.never(
            index,
            raw,
            "the entry is neither a host name nor an IP address",
        );
    }
    if !name.is_ascii() {
        match spec.idn {
            Idn::Converted => {}
            Idn::Never(why) => return reader.never(index, raw, why),
            Idn::AsWritten => need.required |= Written::UNICODE,
        }
    } else if spec.idn == Idn::AsWritten && has_punycode_label(name) {
        need.forbidden |= Written::UNICODE;
    }
    let name = match idna(name) {
        Some(name) => name,
        None => return reader.flag(index, raw, ViolationKind::Invalid(ErrorKind::InvalidHost)),
    };
    let pattern = match mode {
        NameMode::Host => Pattern::Host(name.into()),
        NameMode::Domain => Pattern::Domain(name.into()),
        NameMode::Subdomains => Pattern::Subdomains(name.into()),
        NameMode::HostSuffix => Pattern::HostSuffix(name.into()),
        NameMode::Never(why) => return reader.never(index, raw, why),
    };
    reader.push_name(pattern, port, raw, index, need);
}

/// Whether some label of `name` is punycode (`xn--`).
fn has_punycode_label(name: &str) -> bool {
    name.split('.')
        .any(|label| label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--"))
}

/// Handles an entry that is an IP address or CIDR block; `None` when it is not.
fn ip_rule(reader: &mut Reader<'_>, index: usize, raw: &str, entry: &str) -> Option<()> {
    let spec = *reader.spec;
    let IpSyntax::Parsed {
        cidr,
        zero_mask_is_exact,
        brackets,
    } = spec.ip
    else {
        return None;
    };
    // Without `:`, `/` or `[`, only a dotted IPv4 address reads as one.
    if !entry.bytes().any(|b| matches!(b, b':' | b'/' | b'['))
        && !entry.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    if spec.flags.v6_as_text {
        let addr = entry.split_once('/').map_or(entry, |(addr, _)| addr);
        if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            if addr.len() < entry.len() {
                reader.never(index, raw, CURL7_V6_CIDR);
            } else {
                // Compared as text with the host's (lower case, compressed) text.
                reader.push(Pattern::Domain(entry.into()), None, raw, index);
            }
            return Some(());
        }
    }
    if let Some((addr, bits)) = entry.split_once('/') {
        let Ok(addr) = addr.parse::<IpAddr>() else {
            return None;
        };
        if !cidr {
            reader.never(index, raw, "this tool has no CIDR support");
            return Some(());
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        match bits.parse::<u8>() {
            Ok(0) if zero_mask_is_exact => {
                reader.flag(
                    index,
                    raw,
                    ViolationKind::Note(
                        "curl reads a /0 mask as the single address, not every address",
                    ),
                );
                reader.push(Pattern::Net(IpNet::from(addr)), None, raw, index);
            }
            Ok(bits) if bits <= max => {
                let net = IpNet::new(addr, bits).expect("prefix length checked");
                reader.push(Pattern::Net(net.trunc()), None, raw, index);
            }
            _ => reader.flag(index, raw, ViolationKind::Invalid(ErrorKind::InvalidCidr)),
        }
        return Some(());
    }
    // An address alone, bracketed, or with a port.
    if let Ok(addr) = entry.parse::<IpAddr>() {
        reader.push(Pattern::Net(IpNet::from(addr)), None, raw, index);
        return Some(());
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let bracketed_ip = rest.split(']').next()?.parse::<IpAddr>().is_ok();
        if brackets == Brackets::Never {
            if bracketed_ip {
                reader.never(index, raw, "this tool wants IPv6 entries without brackets");
                return Some(());
            }
            return None;
        }
        match split_port(entry, spec.ports) {
            Ok((_, None)) if brackets == Brackets::WithPort && bracketed_ip => {
                reader.never(
                    index,
                    raw,
                    "this tool reads a bracketed address only before a port; alone it is \
                     taken for a host name: write the address without brackets",
                );
                return Some(());
            }
            Ok((host, port)) => (host.strip_prefix('[')?.strip_suffix(']')?, port),
            Err(Some(why)) => {
                reader.never(index, raw, why);
                return Some(());
            }
            Err(None) => return None,
        }
    } else {
        let (host, port) = entry.rsplit_once(':')?;
        if host.parse::<std::net::Ipv4Addr>().is_err() {
            return None;
        }
        match spec.ports {
            PortSyntax::Never(why) => {
                reader.never(index, raw, why);
                return Some(());
            }
            _ => match crate::proxy::parse_port(port) {
                Some(port) => (host, Some(port)),
                None => {
                    reader.flag(index, raw, ViolationKind::Invalid(ErrorKind::InvalidPort));
                    return Some(());
                }
            },
        }
    };
    let addr = host.parse::<IpAddr>().ok()?;
    reader.push(Pattern::Net(IpNet::from(addr)), port, raw, index);
    Some(())
}

const CURL7_V6_CIDR: &str = "curl 7.x reads an IPv6 host as a name, so an IPv6 CIDR block \
     never matches it (curl 7.88, run here; curl 8 matches IPv6 hosts as addresses): list the \
     addresses";

/// Splits `name[:port]` as the dialect does. `Err(Some(why))`: never matches;
/// `Err(None)`: a bad port.
fn split_port(entry: &str, how: PortSyntax) -> Result<(&str, Option<u16>), Option<&'static str>> {
    let (host, port) = match how {
        PortSyntax::HostPort => {
            if let Some(rest) = entry.strip_prefix('[') {
                match rest.split_once(']') {
                    Some((_, "")) => (entry, None),
                    Some((inner, after)) => match after.strip_prefix(':') {
                        Some(port) => (&entry[..inner.len() + 2], Some(port)),
                        None => (entry, None),
                    },
                    None => (entry, None),
                }
            } else if entry.matches(':').count() == 1 {
                let (host, port) = entry.split_once(':').expect("one colon");
                (host, Some(port))
            } else {
                (entry, None)
            }
        }
        PortSyntax::TrailingDigits => match entry.rsplit_once(':') {
            Some((host, port))
                if !host.is_empty()
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (host, Some(port))
            }
            _ => (entry, None),
        },
        PortSyntax::FirstColon => match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        },
        PortSyntax::Never(why) => {
            let bracketed = entry.starts_with('[') && entry.ends_with(']');
            if entry.contains(':') && !bracketed {
                return Err(Some(why));
            }
            (entry, None)
        }
    };
    match port {
        None => Ok((host, None)),
        Some(port) => match crate::proxy::parse_port(port) {
            Some(port) => Ok((host, Some(port))),
            None => Err(None),
        },
    }
}

fn looks_like_cidr(entry: &str) -> bool {
    entry
        .split_once('/')
        .is_some_and(|(addr, bits)| addr.parse::<IpAddr>().is_ok() && !bits.is_empty())
}

/// IDNA for non-ASCII names; ASCII names pass unchanged.
fn idna(name: &str) -> Option<String> {
    if name.is_ascii() {
        return Some(name.to_owned());
    }
    match url::Host::parse(name).ok()? {
        url::Host::Domain(d) => Some(d),
        _ => None,
    }
}

/// Chromium's reading of `no_proxy`: its own bypass-rule grammar, then every
/// host-name rule turned into a suffix rule (`RewriteRulesForSuffixMatching`:
/// a pattern that does not start with `*` gets one in front). IP-literal rules
/// stay exact (as addresses, so that the crate's reading of IPv4-mapped IPv6
/// hosts applies to them as to ranges); ranges, `<local>` and `<-loopback>`
/// are left as they are.
fn chromium_suffix(text: &str, origin: &Origin) -> (Vec<BypassRule>, Vec<Violation>) {
    // One leniency: Chromium drops an IPv6 address written without brackets
    // (it reads the last `:` as a port); this crate reads it as `[addr]`, as
    // every other dialect that parses addresses does, and says so.
    let mut wrapped = String::with_capacity(text.len() + 2);
    // Ascending by entry index, for the binary search below.
    let mut unbracketed = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    for index in 0.. {
        // Separators are ASCII, so byte positions are character boundaries.
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b',' || b == b';')
            .map_or(text.len(), |at| start + at);
        let part = &text[start..end];
        let entry = part.trim();
        if entry.contains(':')
            && !entry.bytes().any(|b| b == b'/' || b == b'[')
            && entry.parse::<std::net::Ipv6Addr>().is_ok()
        {
            wrapped.push('[');
            wrapped.push_str(entry);
            wrapped.push(']');
            unbracketed.push((index, entry));
        } else {
            wrapped.push_str(part);
        }
        match bytes.get(end) {
            Some(&sep) => wrapped.push(char::from(sep)),
            None => break,
        }
        start = end + 1;
    }
    let (mut rules, mut violations) = super::chromium::parse_parts(&wrapped, origin.clone());
    for (index, entry) in &unbracketed {
        violations.push(Violation::new(
            origin.clone(),
            Some(*index),
            entry,
            ViolationKind::Note(
                "Chromium drops an IPv6 entry without brackets (it reads the last : as a \
                 port); read here as [addr]: write the brackets",
            ),
        ));
    }
    for rule in &mut rules {
        if let Ok(at) = unbracketed.binary_search_by_key(&rule.index, |(i, _)| *i) {
            rule.text = unbracketed[at].1.into();
        }
        rule.pattern = match std::mem::replace(&mut rule.pattern, Pattern::All) {
            Pattern::Host(host) => match ip_literal(&host) {
                Some(addr) => Pattern::Net(IpNet::from(addr)),
                // `*` and the name, read as a pattern: a host has no wildcard.
                None if host.is_empty() => Pattern::All,
                None => match host.strip_prefix('.') {
                    Some(rest) => Pattern::Subdomains(rest.into()),
                    None => Pattern::HostSuffix(host),
                },
            },
            Pattern::Glob(glob) if !glob.starts_with('*') => {
                super::syntax::glob_pattern(&format!("*{glob}"))
            }
            other => other,
        };
        // The rule keeps the trailing-dot condition the Chromium reader gave it.
    }
    (rules, violations)
}

/// The address of an IP-literal rule, as Chromium's reader stores them
/// (dotted IPv4, bracketed IPv6).
fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

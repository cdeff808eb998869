//! Chromium's proxy bypass rules (`--proxy-bypass-list`, the `ProxyBypassList`
//! policy, extensions' `bypassList`), read as
//! `net/proxy_resolution/proxy_bypass_rules.cc` and
//! `net/base/scheme_host_port_matcher_rule.cc` read them.
//!
//! Entries are separated by `,` or `;` and trimmed. Each is one of:
//!
//! | entry | meaning |
//! |---|---|
//! | `[scheme://]pattern[:port]` | the host matches the pattern, `*` (and `?`) wildcards anywhere; `.x` is `*.x`; a rule's port matches the URL's port, a default port included |
//! | `[scheme://]ip[:port]` | an IP literal, in any spelling a URL host may use (`127.1`, `0x7f.0.0.1`, `[0:0::1]`), compared with the URL's canonical host |
//! | `[scheme://]ip/bits` | an IP range, for IP-literal hosts only (IPv6 without brackets); IPv4-mapped addresses match both ways; no port |
//! | `<local>` | a host name without a dot, not an IP literal |
//! | `<-loopback>` | subtracts the implicit bypass of localhost, loopback and link-local hosts |
//!
//! Chromium never proxies `localhost`, `*.localhost`, loopback or link-local
//! hosts unless `<-loopback>` is listed ([`ImplicitBypass::LocalAndLinkLocal`]).
//! Later entries override earlier ones: `localhost;<-loopback>` proxies
//! `localhost`, `<-loopback>;localhost` does not (so the rules are stored last
//! entry first; see [`BypassList::rules`]).
//!
//! Host patterns see IP-literal hosts as URL text (`10.*` matches `10.1.2.3`,
//! IPv6 in brackets). Entries Chromium drops (a bad port, a bracketed IPv6
//! range) and entries it keeps but can never match (a non-ASCII name, which it
//! compares with the host's punycode form; a name ending in a dot, which it
//! compares with the host as the URL wrote it) are [`Violation`]s.
//!
//! ```
//! use proxyroute::{bypass::chromium, Origin};
//! let list = chromium::parse("*.corp.example:443, http://build, 10.0.0.0/8, <local>", Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"https://git.corp.example/".parse()?));
//! assert!(!m.matches(&"http://git.corp.example/".parse()?)); // port 80, not 443
//! assert!(m.matches(&"http://build/".parse()?));
//! assert!(m.matches(&"http://10.9.8.7/".parse()?));
//! assert!(m.matches(&"http://[::1]:8080/".parse()?)); // implicit
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::syntax::{glob_pattern, split_entries, Reader};
use super::Need;
use super::{BypassList, BypassRule, BypassSyntax, ImplicitBypass, MatchFlags, Pattern};
use crate::error::{ErrorKind, Origin, Violation};
use crate::target::Written;

/// How Chromium compares: host patterns see IP literals as URL text, a rule's
/// port matches the URL's effective port.
pub(crate) const FLAGS: MatchFlags = MatchFlags {
    names_see_ips: true,
    bracket_ipv6: true,
    explicit_port_only: false,
    first_occurrence: false,
    ip_families_apart: false,
    v6_as_text: false,
    whatwg_ipv6: false,
    as_written: 0,
    implicit: ImplicitBypass::LocalAndLinkLocal,
};

/// Reads a Chromium bypass list, leniently.
pub fn parse(text: &str, origin: Origin) -> BypassList {
    read(text, origin).finish(FLAGS, BypassSyntax::Chromium, true)
}

/// The rules (in the order [`parse`] stores them) and violations of a
/// Chromium bypass list.
pub(crate) fn parse_parts(text: &str, origin: Origin) -> (Vec<BypassRule>, Vec<Violation>) {
    read(text, origin).into_parts(true)
}

fn read(text: &str, origin: Origin) -> Reader {
    let mut reader = Reader::new(origin);
    let entries = split_entries(text, |c| c == ',' || c == ';');
    reader.reserve(entries.len());
    for (index, entry) in entries {
        read_entry(&mut reader, index, entry, Flavor::Chromium);
    }
    reader
}

/// Whose list the entry is in: Windows' `ProxyOverride` entries are read by
/// the same rules (Chromium reads them so), with remarks where WinINet differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Chromium,
    Windows,
}

/// Reads one trimmed, non-empty entry.
pub(crate) fn read_entry(reader: &mut Reader, index: usize, raw: &str, flavor: Flavor) {
    let lower = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        Cow::Borrowed(raw)
    };
    match &*lower {
        // Chromium compares the host as GURL keeps it, trailing dot
        // included: `<local>` does not match `example.`.
        "<local>" if flavor == Flavor::Chromium => {
            let rule = BypassRule::new(Pattern::PlainHostnames, None, raw, index).with_need(NO_DOT);
            return reader.push(rule);
        }
        "<local>" => return reader.rule(Pattern::PlainHostnames, None, raw, index),
        "<-loopback>" => return reader.rule(Pattern::SubtractImplicit, None, raw, index),
        _ => {}
    }
    let scheme_end = if lower.contains(':') {
        lower.find("://")
    } else {
        None
    };
    let (scheme, rest) = match scheme_end {
        Some(0) => {
            return reader.never(
                index,
                raw,
                "an empty scheme before ://: the entry is dropped",
            )
        }
        Some(i) => (Some(&lower[..i]), &lower[i + 3..]),
        None => (None, &*lower),
    };
    if rest.is_empty() {
        return reader.never(index, raw, "no host after the scheme: the entry is dropped");
    }
    let scoped = |rule: BypassRule| match scheme {
        Some(s) => rule.with_scheme(s),
        None => rule,
    };
    if let Some((addr, bits)) = rest.split_once('/') {
        return cidr(reader, index, raw, addr, bits, flavor, &scoped);
    }
    // A bracketed IPv6 literal, with or without a port.
    if let Some(inner) = rest.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return reader.never(index, raw, "an unclosed [: the entry is dropped");
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':').map(crate::proxy::parse_port) {
                Some(Some(port)) => Some(port),
                Some(None) => return reader.invalid(index, raw, ErrorKind::InvalidPort),
                None => return reader.never(index, raw, "text after the ] that is not a :port"),
            },
        };
        let Ok(addr) = addr.parse::<Ipv6Addr>() else {
            return reader.never(
                index,
                raw,
                "not an IPv6 address inside the brackets (zone ids are not allowed)",
            );
        };
        // The longest IPv6 text is 45 bytes; sized once, no regrowth.
        let mut host = String::with_capacity(48);
        let _ = write!(host, "[{addr}]");
        let rule = BypassRule::new(Pattern::Host(host.into()), port, raw, index);
        return reader.push(scoped(rule));
    }
    let (host, port) = match rest.matches(':').count() {
        0 => (rest, None),
        1 => {
            let (host, port) = rest.split_once(':').expect("one colon");
            match crate::proxy::parse_port(port) {
                Some(port) => (host, Some(port)),
                None => return reader.invalid(index, raw, ErrorKind::InvalidPort),
            }
        }
        _ if rest.parse::<Ipv6Addr>().is_ok() => {
            return reader.never(
                index,
                raw,
                "an IPv6 address without brackets is read as host and port: write [addr]",
            )
        }
        _ => return reader.never(index, raw, "not a host pattern (too many colons)"),
    };
    if host.is_empty() {
        return reader.never(index, raw, "no host before the port");
    }
    if !host.is_ascii() {
        return reader.never(
            index,
            raw,
            "the host is compared in its ASCII (punycode) form: write the entry as xn--...",
        );
    }
    if host
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return reader.never(
            index,
            raw,
            "a host pattern with blanks inside matches no host",
        );
    }
    // GURL keeps a URL's trailing dot and a rule keeps its own: `example.com.`
    // matches only hosts written with the dot, `example.com` only hosts
    // without (net/base/scheme_host_port_matcher_rule.cc compares text).
    let mut need = NO_DOT;
    let host = match host.strip_suffix('.') {
        Some(stripped) if flavor == Flavor::Chromium && !stripped.is_empty() => {
            need = Need {
                required: Written::TRAILING_DOT,
                forbidden: 0,
            };
            stripped
        }
        _ => host,
    };
    if host.len() > 1 && host.ends_with('.') {
        // Windows: the dot is compared with a host that never has one.
        return reader.never(
            index,
            raw,
            "the pattern ends in a dot, and Chromium compares it with the host as written, \
             so it matches only a URL whose host ends in a dot: drop the dot",
        );
    }
    let pattern = if host.bytes().any(|b| b == b'*' || b == b'?') {
        let glob = match host.strip_prefix('.') {
            Some(_) => format!("*{host}"),
            None => host.to_owned(),
        };
        if glob.contains('?') {
            reader.note(
                index,
                raw,
                "Chromium's ? also matches no character at all; here it matches exactly one",
            );
        }
        glob_pattern(&glob)
    } else if let Some(domain) = host.strip_prefix('.') {
        if domain.is_empty() {
            return reader.never(index, raw, "the entry has no host name");
        }
        Pattern::Subdomains(domain.into())
    } else if plain_domain(host) || host.parse::<Ipv4Addr>().is_ok() {
        // What the URL host parser would return (a dotted IPv4 address
        // without leading zeros prints as written), without its IDNA pass.
        Pattern::Host(host.into())
    } else {
        match url::Host::parse(host) {
            Ok(url::Host::Ipv4(a)) => Pattern::Host(a.to_string().into()),
            Ok(url::Host::Domain(d)) => Pattern::Host(d.into()),
            Ok(url::Host::Ipv6(_)) | Err(_) => {
                return reader.never(index, raw, "not a valid host name or IP address")
            }
        }
    };
    let rule = BypassRule::new(pattern, port, raw, index);
    let rule = match flavor {
        Flavor::Chromium => rule.with_need(need),
        Flavor::Windows => rule,
    };
    reader.push(scoped(rule));
}

/// A Chromium name rule of an entry without a trailing dot: hosts written
/// with one do not match it.
const NO_DOT: Need = Need {
    required: 0,
    forbidden: Written::TRAILING_DOT,
};

/// A host the URL host parser reads as the same domain, unchanged: lower-case
/// letters, digits and `-` in non-empty labels, no punycode (`xn--`) label,
/// and a last label that is not a number (which would make it IPv4).
fn plain_domain(host: &str) -> bool {
    let bytes = host.as_bytes();
    let punycode = |at: usize| bytes[at..].starts_with(b"xn--");
    // Where the current label starts.
    let mut label = 0;
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' if at > label && !punycode(label) => label = at + 1,
            _ => return false,
        }
    }
    let last = &bytes[label..];
    !last.iter().all(u8::is_ascii_digit) && !last.starts_with(b"0x") && !punycode(label)
}

fn cidr(
    reader: &mut Reader,
    index: usize,
    raw: &str,
    addr: &str,
    bits: &str,
    flavor: Flavor,
    scoped: &dyn Fn(BypassRule) -> BypassRule,
) {
    let ip = if addr.contains(':') {
        addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else if let Ok(a) = addr.parse::<Ipv4Addr>() {
        // Dotted, no leading zeros: the URL host parser reads it alike.
        Some(IpAddr::V4(a))
    } else {
        match url::Host::parse(addr) {
            Ok(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
            _ => None,
        }
    };
    let Some(ip) = ip else {
        return reader.never(
            index,
            raw,
            "not an IP range (an address, /, a prefix length; IPv6 without brackets): the entry \
             is dropped",
        );
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match crate::proxy::parse_port(bits) {
        Some(bits) if bits <= max => bits as u8,
        _ => return reader.invalid(index, raw, ErrorKind::InvalidCidr),
    };
    if ip.is_ipv4() && addr.parse::<Ipv4Addr>().is_err() {
        reader.note(
            index,
            raw,
            "the address is read as a URL host is (10 is 0.0.0.10, 10.1 is 10.0.0.1), so the \
             range may not be the one the text suggests",
        );
    }
    if flavor == Flavor::Windows {
        reader.note(
            index,
            raw,
            "WinINet itself has no IP ranges; Chromium (and so this crate) reads this one",
        );
    }
    let net = IpNet::new(ip, bits).expect("prefix length checked").trunc();
    reader.push(scoped(BypassRule::new(Pattern::Net(net), None, raw, index)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_domains_read_as_the_url_parser_reads_them() {
        let hosts = [
            "example.com",
            "a-b.c-d",
            "-a.b-",
            "ab--cd.example",
            "host1.internal.example",
            "svc0.example.net",
            "localhost",
            "a1",
            "1a",
            "x.1a",
            "0x",
            "x.0x1f",
            "x.10",
            "10",
            "1.2.3",
            "a..b",
            ".a",
            "xn--nxasmq6b.example",
            "a.xn--nxasmq6b",
            "xn--a",
            "under_score.example",
        ];
        for host in hosts {
            if plain_domain(host) {
                assert_eq!(
                    url::Host::parse(host),
                    Ok(url::Host::Domain(host.to_owned())),
                    "{host}"
                );
            }
        }
        assert!(plain_domain("host1.internal.example"));
        assert!(!plain_domain("x.10"));
        assert!(!plain_domain("x.0x1f"));
        assert!(!plain_domain("a..b"));
        assert!(!plain_domain("xn--nxasmq6b.example"));
    }
}

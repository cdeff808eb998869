//! KDE's `NoProxyFor` (`kioslaverc`, group `[Proxy Settings]`) and its
//! `ReversedException` flag, read as KIO's `shouldIgnoreProxyFor` and
//! `revmatch` read them (KF5/KF6 `kprotocolmanager.cpp`).
//!
//! Entries are separated by commas (or blanks) and compared case-insensitively
//! with the end of the host's text:
//!
//! | entry | meaning |
//! |---|---|
//! | `kde.org` | any host whose text ends in `kde.org`: `kde.org`, `bugs.kde.org`, and also `mykde.org` (KIO compares text, not labels) |
//! | `.kde.org` | the subdomains of `kde.org` |
//! | `http://bugs.kde.org` | exactly `bugs.kde.org` (the dialog says URLs are fine) |
//! | `kde.org:8080` | as `kde.org`, for URLs that write port 8080 |
//! | `192.168.0.0/16`, `10.0.0.0/255.0.0.0`, `10.1.2.3`, `::1` | a subnet, for IP-literal hosts |
//! | `<local>` | host names without a dot |
//!
//! KIO also looks host names up in DNS to test them against subnets; this
//! crate never resolves names, so subnet entries carry a note. With
//! `ReversedException=true` the list names the hosts that *use* the proxy.
//! KDE has no implicit bypass.
//!
//! ```
//! use proxyroute::{bypass::kde, Origin};
//! let list = kde::parse("localhost,.corp.example.com,kde.org,10.0.0.0/8", false, Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"https://bugs.kde.org/".parse()?));
//! assert!(m.matches(&"https://git.corp.example.com/".parse()?));
//! assert!(!m.matches(&"https://corp.example.com/".parse()?));
//! assert!(m.matches(&"http://10.1.2.3/".parse()?));
//! let only = kde::parse("git.example.org", true, Origin::Text).compile();
//! assert!(!only.matches(&"https://git.example.org/".parse()?)); // uses the proxy
//! assert!(only.matches(&"https://example.com/".parse()?)); // goes direct
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use super::syntax::{ascii_name, split_entries, strip_dot, Reader};
use super::{BypassList, BypassSyntax, ImplicitBypass, MatchFlags, Pattern};
use crate::error::{ErrorKind, Origin};

pub(crate) const FLAGS: MatchFlags = MatchFlags {
    names_see_ips: true,
    bracket_ipv6: false,
    explicit_port_only: true,
    first_occurrence: false,
    ip_families_apart: false,
    v6_as_text: false,
    whatwg_ipv6: false,
    as_written: 0,
    implicit: ImplicitBypass::None,
};

/// Reads a `NoProxyFor` value, leniently; `reversed` is `ReversedException`.
pub fn parse(text: &str, reversed: bool, origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    for (index, entry) in split_entries(text, |c| c == ',' || c.is_whitespace()) {
        read_entry(&mut reader, index, entry);
    }
    reader
        .finish(FLAGS, BypassSyntax::Kde, false)
        .reversed(reversed)
}

fn read_entry(reader: &mut Reader, index: usize, raw: &str) {
    let lower = raw.to_ascii_lowercase();
    if lower == "<local>" {
        return reader.rule(Pattern::PlainHostnames, None, raw, index);
    }
    match subnet(&lower) {
        Some(Ok(net)) => {
            reader.note(
                index,
                raw,
                "KIO also resolves host names in DNS to test subnets; this crate never resolves \
                 names, so only IP-literal hosts match",
            );
            return reader.rule(Pattern::Net(net), None, raw, index);
        }
        Some(Err(())) => return reader.invalid(index, raw, ErrorKind::InvalidCidr),
        None => {}
    }
    // A URL: its host exactly (and its port, when it has one).
    let (url_form, rest) = match lower.split_once("://") {
        Some((_, rest)) => (true, rest),
        None => (false, lower.as_str()),
    };
    if url_form && rest.contains(['/', '?', '#']) {
        return reader.never(
            index,
            raw,
            "KIO compares the entry's text with the host (and host:port): a path never matches",
        );
    }
    let (name, port) = match rest.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match crate::proxy::parse_port(port) {
            Some(port) => (name, Some(port)),
            None => return reader.never(index, raw, "a port that is not a number matches no URL"),
        },
        Some(_) => {
            return reader.never(
                index,
                raw,
                "KIO compares text: write IPv6 addresses bare (::1) or as a subnet",
            )
        }
        None => (rest, None),
    };
    if name.contains(['*', '?']) {
        return reader.never(
            index,
            raw,
            "KDE has no wildcards: entries match the end of the host (write .example.com)",
        );
    }
    if name.contains(['/', '@', '[', ']']) {
        return reader.never(index, raw, "not a host name");
    }
    let (subdomains, name) = match name.strip_prefix('.') {
        Some(rest) if !url_form => (true, rest),
        _ => (false, name),
    };
    let name = strip_dot(name);
    if name.is_empty() || name == "." {
        return reader.never(index, raw, "the entry has no host name");
    }
    let Some(name) = ascii_name(name) else {
        return reader.invalid(index, raw, ErrorKind::InvalidHost);
    };
    let pattern = if url_form {
        Pattern::Host(name.into())
    } else if subdomains {
        Pattern::Subdomains(name.into())
    } else {
        Pattern::HostSuffix(name.into())
    };
    reader.rule(pattern, port, raw, index);
}

/// What `QHostAddress::parseSubnet` reads: an address, `address/length` or an
/// IPv4 `address/netmask`. `None`: not a subnet; `Err`: a bad length or mask.
fn subnet(entry: &str) -> Option<Result<IpNet, ()>> {
    let (addr, mask) = match entry.split_once('/') {
        Some((addr, mask)) => (addr, Some(mask)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match mask {
        None => max,
        Some(mask) => match crate::proxy::parse_port(mask) {
            Some(bits) if bits <= u16::from(max) => bits as u8,
            Some(_) => return Some(Err(())),
            None => match mask.parse::<Ipv4Addr>() {
                Ok(netmask) if addr.is_ipv4() => {
                    let m = u32::from(netmask);
                    if m.leading_ones() + m.trailing_zeros() != 32 {
                        return Some(Err(()));
                    }
                    m.leading_ones() as u8
                }
                _ => return Some(Err(())),
            },
        },
    };
    Some(Ok(IpNet::new(addr, bits).expect("bits checked").trunc()))
}

//! macOS's proxy exceptions (System Settings, "Bypass proxy settings for these
//! hosts & domains"; `ExceptionsList` in the SystemConfiguration dictionary),
//! with the `ExcludeSimpleHostnames` flag.
//!
//! The readings follow CPython's `_proxy_bypass_macosx_sysconf` and the macOS
//! forms Chromium documents:
//!
//! | entry | meaning |
//! |---|---|
//! | `*.local`, `www.example.com`, `*example*` | a glob over the host (`*` any run, `?` one character); no implied suffix match |
//! | `10.10`, `10/8`, `169.254/16`, `192.168.1.0/24` | an IPv4 range, for IP-literal hosts only: missing octets are zeros, and without a `/` the prefix covers the octets given (`10.10` is `10.10.0.0/16`) |
//! | `::1`, `fe80::/10`, `[::1]` | an IPv6 address or range |
//! | `<local>` | host names without a dot (what `ExcludeSimpleHostnames` means) |
//!
//! macOS never proxies `localhost`, loopback addresses or link-local
//! addresses ([`ImplicitBypass::Macos`]). In the text form read by [`parse`] entries are
//! separated by `,` or line breaks; [`parse_exceptions`] takes the array itself.
//!
//! ```
//! use proxyroute::{bypass::macos, Origin};
//! let list = macos::parse_exceptions(&["*.local", "10.10", "172.16/12"], true, Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"http://printer.local/".parse()?));
//! assert!(m.matches(&"http://10.10.200.1/".parse()?));
//! assert!(!m.matches(&"http://10.11.0.1/".parse()?));
//! assert!(m.matches(&"http://172.31.0.1/".parse()?));
//! assert!(m.matches(&"http://nas/".parse()?)); // ExcludeSimpleHostnames
//! assert!(m.matches(&"http://169.254.1.1/".parse()?)); // implicit
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::syntax::{ascii_name, glob_pattern, split_entries, strip_dot, Reader};
use super::{BypassList, BypassSyntax, ImplicitBypass, MatchFlags, Pattern};
use crate::error::{ErrorKind, Origin};

pub(crate) const FLAGS: MatchFlags = MatchFlags {
    names_see_ips: true,
    bracket_ipv6: true,
    explicit_port_only: false,
    first_occurrence: false,
    ip_families_apart: false,
    v6_as_text: false,
    whatwg_ipv6: false,
    as_written: 0,
    implicit: ImplicitBypass::Macos,
};

/// Reads exceptions written one per line or separated by commas, leniently.
pub fn parse(text: &str, origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    for (index, entry) in split_entries(text, |c| matches!(c, ',' | '\n' | '\r')) {
        read_entry(&mut reader, index, entry);
    }
    reader.finish(FLAGS, BypassSyntax::Macos, false)
}

/// Reads an `ExceptionsList` array, leniently, and the `ExcludeSimpleHostnames`
/// flag, which becomes a `<local>` rule after the entries (its index is
/// `entries.len()`).
pub fn parse_exceptions(entries: &[&str], exclude_simple: bool, origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry.trim();
        if !entry.is_empty() {
            read_entry(&mut reader, index, entry);
        }
    }
    if exclude_simple {
        reader.rule(Pattern::PlainHostnames, None, "<local>", entries.len());
    }
    reader.finish(FLAGS, BypassSyntax::Macos, false)
}

fn read_entry(reader: &mut Reader, index: usize, raw: &str) {
    let lower = raw.to_ascii_lowercase();
    if lower == "<local>" {
        return reader.rule(Pattern::PlainHostnames, None, raw, index);
    }
    if let Some(result) = ipv4_prefix(&lower) {
        return match result {
            Ok(net) => reader.rule(Pattern::Net(net), None, raw, index),
            Err(kind) => reader.invalid(index, raw, kind),
        };
    }
    if let Some(result) = ipv6_entry(&lower) {
        return match result {
            Ok(net) => reader.rule(Pattern::Net(net), None, raw, index),
            Err(kind) => reader.invalid(index, raw, kind),
        };
    }
    if lower.contains(':') {
        return reader.never(index, raw, "macOS exceptions have no ports or URLs");
    }
    if lower.contains('/') {
        return reader.never(index, raw, "neither a host pattern nor an IPv4 range");
    }
    if lower.contains(['[', ']']) {
        return reader.ignored(
            index,
            raw,
            "character classes ([...]) are not supported by this crate's globs",
        );
    }
    if lower.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return reader.never(index, raw, "a pattern with blanks inside matches no host");
    }
    let wild = lower.contains(['*', '?']);
    let text = strip_dot(&lower);
    let name = match ascii_name(text) {
        Some(name) if !wild || text.is_ascii() => name,
        _ if wild => {
            return reader.ignored(
                index,
                raw,
                "a non-ASCII pattern with wildcards: write it in punycode (xn--...)",
            )
        }
        _ => return reader.never(index, raw, "not a valid host name"),
    };
    reader.rule(glob_pattern(&name), None, raw, index);
}

/// `10`, `10.10`, `10.10.1.1`, each with an optional `/bits`: `None` when the
/// entry is not of that shape.
fn ipv4_prefix(entry: &str) -> Option<Result<IpNet, ErrorKind>> {
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (entry, None),
    };
    let parts: Vec<&str> = addr.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    if parts.len() > 4 || !parts.iter().all(|p| digits(p)) {
        return None;
    }
    if bits.is_some_and(|b| !b.bytes().all(|c| c.is_ascii_digit()) || b.is_empty()) {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(&parts) {
        match part.parse::<u8>() {
            Ok(n) => *octet = n,
            Err(_) => return Some(Err(ErrorKind::InvalidHost)),
        }
    }
    let bits = match bits {
        None => 8 * parts.len() as u8,
        Some(b) => match b.parse::<u8>() {
            Ok(b) if b <= 32 => b,
            _ => return Some(Err(ErrorKind::InvalidCidr)),
        },
    };
    let net = IpNet::new(IpAddr::V4(Ipv4Addr::from(octets)), bits).expect("bits checked");
    Some(Ok(net.trunc()))
}

/// `::1`, `[::1]`, `fe80::/10`: an IPv6 address or range; `None` when the
/// entry is not one.
fn ipv6_entry(entry: &str) -> Option<Result<IpNet, ErrorKind>> {
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (entry, None),
    };
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let addr: Ipv6Addr = addr.parse().ok()?;
    let bits = match bits {
        None => 128,
        Some(b) => match crate::proxy::parse_port(b) {
            Some(b) if b <= 128 => b as u8,
            _ => return Some(Err(ErrorKind::InvalidCidr)),
        },
    };
    let net = IpNet::new(IpAddr::V6(addr), bits).expect("bits checked");
    Some(Ok(net.trunc()))
}

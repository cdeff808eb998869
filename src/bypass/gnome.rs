//! GNOME's `ignore-hosts` (`org.gnome.system.proxy`), read by GLib's rules
//! (`GSimpleProxyResolver`, which glib-networking's GNOME resolver feeds).
//!
//! | entry | meaning |
//! |---|---|
//! | `example.com`, `.example.com`, `*.example.com` | `example.com` and every subdomain, on a label boundary |
//! | `192.168.1.1`, `::1` | that address |
//! | `192.168.0.0/24`, `fe80::/10` | the range (no bits may be set past the prefix) |
//! | `example.com:8080`, `10.0.0.1:8080`, `[::1]:8080` | as without the port, for URLs that write that port |
//!
//! Name entries apply only to host names and address entries only to IP
//! literals (no DNS); names compare case-insensitively, in ASCII. GNOME has no
//! implicit bypass (its default list names `localhost`, `127.0.0.0/8`, `::1`).
//!
//! [`parse`] takes either the `gsettings get` text (`['localhost', '::1']`,
//! `@as []`) or a plain comma-separated list. In the array form entries are
//! taken as GLib takes them: only trailing blanks are trimmed, and an empty
//! entry ends GLib's reading of the name entries after it (each such entry is
//! reported). [`parse_ignore_hosts`] takes the array itself.
//!
//! ```
//! use proxyroute::{bypass::gnome, Origin};
//! let list = gnome::parse("['localhost', '127.0.0.0/8', '::1', '*.corp.example.com', 'build:8080']", Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"https://corp.example.com/".parse()?));
//! assert!(m.matches(&"https://wiki.corp.example.com/".parse()?));
//! assert!(m.matches(&"http://127.0.0.2/".parse()?));
//! assert!(m.matches(&"http://build:8080/".parse()?));
//! assert!(!m.matches(&"http://build/".parse()?));
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::net::IpAddr;

use ipnet::IpNet;

use super::syntax::{split_entries, strip_dot, Reader};
use super::{BypassList, BypassSyntax, ImplicitBypass, MatchFlags, Pattern};
use crate::error::{ErrorKind, Origin};

pub(crate) const FLAGS: MatchFlags = MatchFlags {
    names_see_ips: false,
    bracket_ipv6: false,
    explicit_port_only: true,
    first_occurrence: false,
    ip_families_apart: false,
    v6_as_text: false,
    whatwg_ipv6: false,
    as_written: 0,
    implicit: ImplicitBypass::None,
};

/// Reads `ignore-hosts` as GVariant text (`['a', 'b']`) or a comma-separated
/// list, leniently.
pub fn parse(text: &str, origin: Origin) -> BypassList {
    let trimmed = text.trim();
    if looks_like_array(trimmed) {
        return match array_strings(trimmed) {
            Some(items) => {
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                parse_ignore_hosts(&items, origin)
            }
            None => {
                let mut reader = Reader::new(origin);
                reader.invalid_text(text, ErrorKind::InvalidBypassEntry);
                reader.finish(FLAGS, BypassSyntax::Gnome, false)
            }
        };
    }
    let mut reader = Reader::new(origin);
    let mut state = State::default();
    for (index, entry) in split_entries(text, |c| c == ',') {
        read_entry(&mut reader, index, entry, &mut state);
    }
    reader.finish(FLAGS, BypassSyntax::Gnome, false)
}

/// Reads the `ignore-hosts` array as GLib does, leniently.
pub fn parse_ignore_hosts(entries: &[&str], origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    let mut state = State {
        array: true,
        ..State::default()
    };
    for (index, entry) in entries.iter().enumerate() {
        read_entry(&mut reader, index, entry, &mut state);
    }
    reader.finish(FLAGS, BypassSyntax::Gnome, false)
}

#[derive(Debug, Default)]
struct State {
    /// Entries come from the array as written (not from a trimmed text list).
    array: bool,
    /// GLib stopped reading name entries at an empty one.
    names_end: bool,
}

fn read_entry(reader: &mut Reader, index: usize, raw: &str, state: &mut State) {
    // GLib removes trailing blanks only.
    let host = raw.trim_end();
    if host.is_empty() {
        if state.array {
            state.names_end = true;
            reader.never(
                index,
                raw,
                "an empty entry: GLib stops reading the name entries that follow it",
            );
        }
        return;
    }
    if host.starts_with(char::is_whitespace) {
        return reader.never(
            index,
            raw,
            "GLib trims only trailing blanks, not leading ones",
        );
    }
    match mask(host) {
        Some(Ok(net)) => return reader.rule(Pattern::Net(net), None, raw, index),
        Some(Err(why)) => return reader.never(index, raw, why),
        None => {}
    }
    let (name, port) = if let Some(inner) = host.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return reader.invalid(index, raw, ErrorKind::InvalidBypassEntry);
        };
        let Some(port) = after.strip_prefix(':') else {
            return reader.never(
                index,
                raw,
                "GLib takes [brackets] only with a port ([::1]:443); write the address bare",
            );
        };
        (addr, port)
    } else {
        match host.split_once(':') {
            Some((name, port)) if !port.contains(':') => (name, port),
            _ => (host, "0"),
        }
    };
    let port = match port {
        "" | "0" => {
            if port.is_empty() {
                reader.note(index, raw, "an empty port matches every port");
            }
            None
        }
        digits => match crate::proxy::parse_port(digits) {
            Some(port) => Some(port),
            None => return reader.invalid(index, raw, ErrorKind::InvalidPort),
        },
    };
    if state.names_end {
        return reader.never(
            index,
            raw,
            "GLib stopped reading name entries at an earlier empty entry",
        );
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return reader.rule(Pattern::Net(IpNet::from(ip)), port, raw, index);
    }
    let domain = name
        .strip_prefix("*.")
        .or_else(|| name.strip_prefix('.'))
        .unwrap_or(name);
    if domain.is_empty() {
        if state.array {
            state.names_end = true;
            return reader.never(
                index,
                raw,
                "no name after the dot: GLib stops reading the name entries that follow it",
            );
        }
        return reader.never(index, raw, "the entry has no host name");
    }
    if domain.contains('*') {
        return reader.never(index, raw, "GLib has no wildcards other than a leading *.");
    }
    if !domain.is_ascii() {
        return reader.never(
            index,
            raw,
            "GLib compares the entry as written with the host's ASCII (punycode) form: write \
             it as xn--...",
        );
    }
    if domain.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control() || c == ':') {
        return reader.never(index, raw, "not a host name");
    }
    let domain = strip_dot(domain).to_ascii_lowercase();
    reader.rule(Pattern::Domain(domain.into()), port, raw, index);
}

/// An address or `address/length` as `g_inet_address_mask_new_from_string`
/// reads it: `None` when the entry is not one, `Err` when GLib rejects it (the
/// entry then falls through to a name that matches nothing).
fn mask(entry: &str) -> Option<Result<IpNet, &'static str>> {
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        None => max,
        Some(bits) => match crate::proxy::parse_port(bits) {
            Some(b) if b <= u16::from(max) => b as u8,
            _ => return Some(Err("an invalid prefix length: GLib ignores the range")),
        },
    };
    let net = IpNet::new(addr, bits).expect("bits checked");
    if net.trunc().addr() != addr {
        return Some(Err(
            "bits are set past the prefix length: GLib ignores the range (write the network \
             address, such as 192.168.0.0/16)",
        ));
    }
    Some(Ok(net))
}

/// Whether the text is GVariant array syntax rather than a plain list.
pub(crate) fn looks_like_array(text: &str) -> bool {
    // `@as []` is a typed empty array; `@as` alone (or `@as,x`) is text.
    if let Some(rest) = text.strip_prefix("@as") {
        return rest.trim_start().starts_with('[');
    }
    text.strip_prefix('[')
        .map(str::trim_start)
        .is_some_and(|rest| rest.starts_with(['\'', '"', ']']))
}

/// The strings of a GVariant string array (`['a', "b's"]`, `@as []`), or
/// `None` when the text is not one.
fn array_strings(text: &str) -> Option<Vec<String>> {
    let text = text.strip_prefix("@as").unwrap_or(text).trim_start();
    let mut chars = text.strip_prefix('[')?.chars().peekable();
    let mut items = Vec::new();
    let skip_blanks = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    skip_blanks(&mut chars);
    if chars.peek() == Some(&']') {
        chars.next();
    } else {
        loop {
            skip_blanks(&mut chars);
            let quote = chars.next().filter(|c| *c == '\'' || *c == '"')?;
            let mut item = String::new();
            loop {
                match chars.next()? {
                    c if c == quote => break,
                    '\\' => item.push(unescape(&mut chars)?),
                    c => item.push(c),
                }
            }
            items.push(item);
            skip_blanks(&mut chars);
            match chars.next()? {
                ',' => continue,
                ']' => break,
                _ => return None,
            }
        }
    }
    chars.all(char::is_whitespace).then_some(items)
}

/// One backslash escape of GVariant text, after the backslash.
fn unescape(chars: &mut impl Iterator<Item = char>) -> Option<char> {
    let c = chars.next()?;
    let width = match c {
        'u' => 4,
        'U' => 8,
        _ => {
            return Some(match c {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'a' => '\u{7}',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'v' => '\u{b}',
                '\\' | '\'' | '"' => c,
                _ => return None,
            })
        }
    };
    let mut value = 0u32;
    for _ in 0..width {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    char::from_u32(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gvariant_arrays() {
        assert_eq!(array_strings("@as []"), Some(vec![]));
        assert_eq!(array_strings("[]"), Some(vec![]));
        assert_eq!(
            array_strings(r#"['a', "b's", 'c\'d', '\u0041']"#),
            Some(vec!["a".into(), "b's".into(), "c'd".into(), "A".into()])
        );
        assert_eq!(array_strings("['a' 'b']"), None);
        assert_eq!(array_strings("['a'"), None);
        assert_eq!(array_strings("['a'] x"), None);
        assert!(looks_like_array("['a']"));
        assert!(!looks_like_array("[::1]:443, a"));
    }
}

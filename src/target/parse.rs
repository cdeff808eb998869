//! Reading a URL's host, port and path from text: the fast path that skips
//! the full URL parser for common URLs, and the helpers both paths share.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Scheme, Target, Written, KNOWN_SCHEMES, SCHEME_FTP, SCHEME_HTTP};
use crate::error::ErrorKind;
use crate::proxy::parse_port;

pub(super) fn strip_dot(host: &str) -> &str {
    match host.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => host,
    }
}

pub(super) type HostParts = (Box<str>, Option<IpAddr>);
/// A bracketed IPv6 host: its text, address and zone id.
pub(super) type BracketedHost = (Box<str>, Option<IpAddr>, Option<Box<str>>);

/// The WHATWG host parser (percent-decoding, IDNA, IPv4 numeric forms), then
/// one trailing dot removed.
pub(super) fn normalize_host(raw: &str) -> std::result::Result<HostParts, ErrorKind> {
    match url::Host::parse(raw).map_err(|_| ErrorKind::InvalidHost)? {
        url::Host::Domain(d) => Ok((strip_dot(&d).into(), None)),
        url::Host::Ipv4(a) => Ok((a.to_string().into(), Some(IpAddr::V4(a)))),
        url::Host::Ipv6(a) => Ok((format!("[{a}]").into(), Some(IpAddr::V6(a)))),
    }
}

/// `[v6]` or `[v6%zone]` (also `%25zone`, as RFC 6874 writes it in URLs).
pub(super) fn parse_bracketed(host: &str) -> std::result::Result<BracketedHost, ErrorKind> {
    let inner = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .ok_or(ErrorKind::InvalidHost)?;
    let (addr, zone) = match inner.split_once('%') {
        Some((addr, zone)) => {
            let zone = zone
                .strip_prefix("25")
                .filter(|z| !z.is_empty())
                .unwrap_or(zone);
            if zone.is_empty()
                || !zone
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            {
                return Err(ErrorKind::InvalidHost);
            }
            (addr, Some(zone.into()))
        }
        None => (inner, None),
    };
    let addr: Ipv6Addr = addr.parse().map_err(|_| ErrorKind::InvalidHost)?;
    Ok((format!("[{addr}]").into(), Some(IpAddr::V6(addr)), zone))
}

/// The fast path of [`Target::parse`]: `Some` when the answer is certain
/// without the full URL parser, `None` to fall back to it. One pass over the
/// scheme and the authority; the path, query and fragment are never read.
pub(super) fn fast_parse(text: &str, sep: usize) -> Option<std::result::Result<Target, ErrorKind>> {
    let bytes = text.as_bytes();
    let scheme = known_scheme(&bytes[..sep])?;
    let start = sep + 3;
    // The authority ends at the first '/', '?', '#' or (special schemes) '\\'.
    // The host starts after the last '@'; its characters are checked as we go
    // and the check restarts at each '@' (user info may hold anything).
    let mut host_start = start;
    let mut colon = None;
    let mut plain = true;
    let mut bracket = false;
    let mut end = bytes.len();
    // The URL parser trims blanks and controls at the ends and drops tabs and
    // newlines anywhere: leave such text to it.
    if bytes.last().is_some_and(|&b| b <= b' ') {
        return None;
    }
    let special = matches!(scheme, Scheme::Known(i) if i <= SCHEME_FTP);
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'\\' if special => {
                end = i;
                break;
            }
            ..=b' ' | 0x7f => return None,
            b'@' => {
                host_start = i + 1;
                colon = None;
                plain = true;
                bracket = false;
            }
            // A second colon outside brackets: let the URL parser judge.
            b':' if colon.is_some() && !bracket => plain = false,
            b':' => colon = Some(i),
            b'[' if i == host_start => bracket = true,
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => {}
            b'A'..=b'Z' => {}
            _ => plain = false,
        }
    }
    if bracket {
        // `[v6]` or `[v6%zone]`, then an optional port.
        let close = host_start + text[host_start..end].find(']')?;
        let port = match &text[close + 1..end] {
            "" => None,
            rest => match rest.strip_prefix(':') {
                Some("") => None,
                Some(digits) => Some(parse_port(digits)?),
                None => return None,
            },
        };
        let inner = &text[host_start + 1..close];
        if inner.contains('%') {
            // A zone id is something the URL parser rejects, so it is read here.
            return Some(
                parse_bracketed(&text[host_start..=close]).map(|(host, ip, zone)| {
                    let written = Written::default().with_port(port.is_some());
                    Target::assemble(scheme, host, ip, zone, port, written)
                }),
            );
        }
        let addr: Ipv6Addr = inner.parse().ok()?;
        let host = format!("[{addr}]");
        let mut written = Written::default().with_port(port.is_some());
        let otherwise = !host[1..host.len() - 1].eq_ignore_ascii_case(inner);
        if otherwise {
            written = Written(written.0 | Written::IPV6_OTHERWISE);
        }
        let target = Target::assemble(
            scheme,
            host.into(),
            Some(IpAddr::V6(addr)),
            None,
            port,
            written,
        );
        return Some(Ok(if otherwise {
            target.spelled_as(&text[host_start..=close])
        } else {
            target
        }));
    }
    if !plain {
        return None;
    }
    let (host, port) = match colon {
        Some(c) if c >= host_start => (&text[host_start..c], Some(&text[c + 1..end])),
        _ => (&text[host_start..end], None),
    };
    // Odd ports (leading zeros, too large) are the URL parser's to judge.
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(parse_port(digits)?),
    };
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() {
        return None;
    }
    // Only special schemes: others have opaque hosts that the URL parser keeps as written.
    if !special {
        return None;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    if last.is_empty() {
        return None;
    }
    if last.as_bytes()[0].is_ascii_digit() {
        // Only the plain dotted-quad form is read here; every other numeric
        // spelling goes to the URL parser.
        let addr = dotted_quad(name)?;
        // `dotted_quad` accepts only the canonical spelling: copy it as is.
        return Some(Ok(Target::assemble(
            scheme,
            name.into(),
            Some(IpAddr::V4(addr)),
            None,
            port,
            // An address has no trailing dot (the URL parser drops it too).
            Written::of_host(name).with_port(port.is_some()),
        )));
    }
    let mut label_start = true;
    for (i, &b) in name.as_bytes().iter().enumerate() {
        if b == b'.' {
            if label_start {
                return None; // an empty label
            }
            label_start = true;
        } else {
            if label_start && name.len() - i >= 4 && name[i..i + 4].eq_ignore_ascii_case("xn--") {
                return None; // punycode: IDNA validates it
            }
            label_start = false;
        }
    }
    let written = Written::of_host(host).with_port(port.is_some());
    let mut host = name.to_owned();
    host.make_ascii_lowercase();
    Some(Ok(Target::assemble(
        scheme,
        host.into(),
        None,
        None,
        port,
        written,
    )))
}

/// The host as the text writes it (after any user info, before any port) and
/// whether a port was written; `sep` is where the scheme ends.
pub(super) fn written_authority(text: &str, sep: usize, special: bool) -> (&str, bool) {
    let rest = text.get(sep + 1..).unwrap_or("");
    let rest = if special {
        rest.trim_start_matches(['/', '\\'])
    } else {
        rest.strip_prefix("//").unwrap_or(rest)
    };
    let end = rest
        .find(|c| matches!(c, '/' | '?' | '#') || (special && c == '\\'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(close) => (&host_port[..=close], &host_port[close + 1..]),
            None => (host_port, ""),
        }
    } else {
        match host_port.rfind(':') {
            Some(colon) => (&host_port[..colon], &host_port[colon..]),
            None => (host_port, ""),
        }
    };
    (host.trim(), port.len() > 1)
}

/// The path as the text writes it: from the end of the authority to the
/// query or fragment (`sep` is where the scheme ends).
pub(super) fn raw_path(text: &str, sep: usize, special: bool) -> &str {
    let rest = text.get(sep + 1..).unwrap_or("");
    let rest = if special {
        rest.trim_start_matches(['/', '\\'])
    } else {
        rest.strip_prefix("//").unwrap_or(rest)
    };
    let start = rest
        .find(|c| matches!(c, '/' | '?' | '#') || (special && c == '\\'))
        .unwrap_or(rest.len());
    let path = &rest[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].trim_end()
}

/// Where `scheme://` ends its scheme: the first `:`, when `//` follows it.
pub(super) fn scheme_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let colon = bytes.iter().position(|&b| b == b':')?;
    bytes[colon + 1..].starts_with(b"//").then_some(colon)
}

/// A known scheme spelled in any case, without allocating; `None` for a scheme
/// the table does not know, or text that is not a scheme.
pub(super) fn known_scheme(text: &[u8]) -> Option<Scheme> {
    match text {
        b"http" => return Some(Scheme::Known(SCHEME_HTTP)),
        b"https" => return Some(Scheme::Known(SCHEME_HTTP + 1)),
        _ => {}
    }
    KNOWN_SCHEMES
        .iter()
        .position(|(name, _)| name.as_bytes().eq_ignore_ascii_case(text))
        .map(|i| Scheme::Known(i as u8))
}

/// `a.b.c.d` with four decimal octets and no leading zeros: the one IPv4
/// spelling that reads the same everywhere.
pub(super) fn dotted_quad(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0')) {
            return None;
        }
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

//! Windows' WinINet `ProxyOverride` (Internet Options, "Do not use proxy
//! server for addresses beginning with"), read as Chromium reads it on Windows
//! (`proxy_config_service_win.cc` hands every entry to its bypass rules).
//!
//! Entries are separated by `;` (what the UI writes), `,` or blanks. Each is a
//! wildcard pattern over the host as a URL writes it, with no implied suffix
//! match: `*.corp.example.com`, `intranet`, and IPv4 prefixes as text such as
//! `10.*` or `192.168.*`; an optional `scheme://` and `:port` narrow it;
//! IPv6 literals are bracketed. `<local>` bypasses host names without a dot
//! (the "Bypass proxy server for local addresses" box), and `<-loopback>`
//! subtracts the implicit bypass, which covers `localhost`, `loopback`,
//! loopback and link-local addresses ([`ImplicitBypass::WinInet`]). Later
//! entries override earlier ones, as in WinINet.
//!
//! The entry grammar is [Chromium's](super::chromium); CIDR ranges, which
//! WinINet does not have, are read as Chromium reads them, with a note.
//!
//! ```
//! use proxyroute::{bypass::windows, Origin};
//! let list = windows::parse("<local>;*.corp.example.com;192.168.*", Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"http://intranet/".parse()?));
//! assert!(m.matches(&"https://wiki.corp.example.com/".parse()?));
//! assert!(!m.matches(&"https://corp.example.com/".parse()?));
//! assert!(m.matches(&"http://192.168.4.20:8080/".parse()?));
//! assert!(m.matches(&"http://loopback/".parse()?)); // implicit
//! let proxied = windows::parse("<-loopback>", Origin::Text).compile();
//! assert!(!proxied.matches(&"http://localhost:3000/".parse()?));
//! # Ok::<(), proxyroute::Error>(())
//! ```

use super::chromium::{read_entry, Flavor};
use super::syntax::{split_entries, Reader};
use super::{BypassList, BypassSyntax, ImplicitBypass, MatchFlags};
use crate::error::Origin;

pub(crate) const FLAGS: MatchFlags = MatchFlags {
    implicit: ImplicitBypass::WinInet,
    ..super::chromium::FLAGS
};

/// Reads a `ProxyOverride` value, leniently.
pub fn parse(text: &str, origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    let sep = |c: char| matches!(c, ';' | ',' | ' ' | '\t' | '\r' | '\n');
    for (index, entry) in split_entries(text, sep) {
        read_entry(&mut reader, index, entry, Flavor::Windows);
    }
    reader.finish(FLAGS, BypassSyntax::Windows, true)
}

/// How .NET's `HttpWindowsProxy` matches: names compared as text (IP
/// literals too, IPv6 without brackets), no implicit bypass of its own.
const DOTNET_FLAGS: MatchFlags = MatchFlags {
    names_see_ips: true,
    ..MatchFlags::PLAIN
};

/// Reads a `ProxyOverride` value as .NET's `HttpWindowsProxy` does, leniently
/// (dotnet/runtime
/// `System.Net.Http/src/System/Net/Http/SocketsHttpHandler/HttpWindowsProxy.cs`,
/// its constructor and `GetMultiProxy`; .NET cannot run here, so the rules are
/// the source's):
///
/// - entries are separated by `;`; blanks before an entry are skipped, and an
///   entry ends at a blank or `]`, the rest up to the next `;` being dropped;
/// - a leading `http://` or `https://` is removed (it does not limit the
///   entry to that scheme), and so is a leading `[`: `[::1]:8080` is `::1`;
/// - every other entry is a pattern where `*` stands for any run of
///   characters, anywhere, compared without regard to case with the host
///   (`SimpleRegex.IsMatchWithStarWildcard` on `Uri.IdnHost`, which writes
///   IPv6 without brackets); `?` is an ordinary character, and a `:port` stays
///   part of the text, so it never matches;
/// - `<local>` bypasses host names without a dot and loopback hosts (the
///   machine's own addresses too, which this crate cannot know: reported).
///
/// ```
/// use proxyroute::{bypass::windows, Origin};
/// let m = windows::parse_dotnet("*.corp.example;10.*;[fe80::*];<local>", Origin::Text).compile();
/// assert!(m.matches(&"https://wiki.corp.example/".parse()?));
/// assert!(m.matches(&"http://10.1.2.3/".parse()?));
/// assert!(m.matches(&"http://[fe80::1]/".parse()?));
/// assert!(m.matches(&"http://intranet/".parse()?));
/// assert!(m.matches(&"http://127.0.0.1/".parse()?));
/// assert!(!m.matches(&"https://corp.example/".parse()?));
/// # Ok::<(), proxyroute::Error>(())
/// ```
pub fn parse_dotnet(text: &str, origin: Origin) -> BypassList {
    use super::{BypassRule, Pattern};
    use ipnet::IpNet;
    let mut reader = Reader::new(origin);
    for (index, part) in text.split(';').enumerate() {
        let part = part.trim_start_matches(' ');
        let lower = part.to_ascii_lowercase();
        let mut entry = lower.as_str();
        for prefix in ["http://", "https://"] {
            if let Some(rest) = entry.strip_prefix(prefix) {
                entry = rest;
                break;
            }
        }
        let entry = entry.strip_prefix('[').unwrap_or(entry);
        let end = entry.find([' ', ']']).unwrap_or(entry.len());
        let (entry, dropped) = entry.split_at(end);
        if entry.is_empty() {
            continue;
        }
        if !dropped.is_empty() && !dropped.starts_with(']') {
            reader.note(
                index,
                part,
                ".NET reads an entry up to the first blank and drops the rest",
            );
        }
        if entry.starts_with("<local>") {
            reader.rule(Pattern::PlainHostnames, None, part, index);
            reader.rule(Pattern::Host("localhost".into()), None, part, index);
            reader.rule(
                Pattern::Net(IpNet::V4("127.0.0.0/8".parse().expect("a valid block"))),
                None,
                part,
                index,
            );
            reader.rule(
                Pattern::Net(IpNet::V6("::1/128".parse().expect("a valid block"))),
                None,
                part,
                index,
            );
            reader.note(
                index,
                part,
                ".NET's <local> also bypasses the machine's own addresses, which are not known here",
            );
            continue;
        }
        let host_port = entry.contains(':')
            && !entry.contains('*')
            && entry.parse::<std::net::Ipv6Addr>().is_err()
            && entry.split(':').count() == 2;
        if host_port {
            reader.never(
                index,
                part,
                ".NET compares the entry, port included, with the host name, so it never matches",
            );
            continue;
        }
        if entry.contains('?') {
            reader.never(
                index,
                part,
                ".NET's only wildcard is *; a ? is compared as itself and no host has one",
            );
            continue;
        }
        let pattern = if entry.contains('*') {
            super::syntax::glob_pattern(entry)
        } else {
            match entry.parse::<std::net::IpAddr>() {
                // IdnHost writes addresses canonically: compare the canonical text.
                Ok(addr) => Pattern::Host(addr.to_string().into()),
                Err(_) => Pattern::Host(entry.into()),
            }
        };
        reader.push(BypassRule::new(pattern, None, part, index));
    }
    reader.finish(DOTNET_FLAGS, BypassSyntax::Windows, false)
}

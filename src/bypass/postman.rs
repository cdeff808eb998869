//! Postman's proxy bypass list: URL match patterns (postman-collection's
//! `UrlMatchPattern`, modelled on Chrome extension match patterns).
//!
//! ```text
//! pattern = "<all_urls>" | schemes "://" host [ ":" port ] path
//! schemes = ( "*" | scheme ) *( "+" scheme )     scheme = http | https | file | ftp
//! host    = "*" | "*." name | name               (no "*", "/" or ":" inside a name)
//! port    = "*" | 1*DIGIT
//! path    = "/" *anything
//! ```
//!
//! The grammar is strict and case-sensitive (`HTTP://x/*` is not a pattern),
//! and a string that is not a pattern (a bare `localhost`) never matches: each
//! is reported. What a pattern matches, as the engine expresses it:
//!
//! - the scheme: each scheme named (`*` is `http`, `https` and `ftp`) makes one
//!   scheme-scoped rule; `file` URLs never go through a proxy and are dropped;
//! - the host: `*` any host, `*.x` `x` and every name below it, anything else
//!   exactly that host (Postman compares text case-sensitively; hosts here are
//!   normalised, lower case, so an upper-case pattern is read in lower case and
//!   noted);
//! - the port: none means the scheme's default port only (80, 443, 21), `*`
//!   any port, a number that port;
//! - the path: matched against the target's [path](crate::Target::path) as
//!   postman-collection does (checked against postman-collection 5.3.1): the
//!   whole path, case-sensitively, query and fragment excluded; `?` is any one
//!   character, the *first* `*` any run of characters, and every later `*`
//!   repeats the character before it zero or more times (`/x*y*z` matches
//!   `/xz`, `/*/*` matches `/abc`); a `*` with nothing to repeat (`/a**`)
//!   makes Postman throw, and the pattern is reported and never matches.
//!
//! `<all_urls>` matches every target. In the text form read by [`parse`]
//! patterns are separated by commas or line breaks.
//!
//! ```
//! use proxyroute::{bypass::postman, Origin};
//! let list = postman::parse("http+https://*.corp.example:*/*, http://localhost/*, localhost", Origin::Text);
//! let m = list.compile();
//! assert!(m.matches(&"https://git.corp.example:8443/".parse()?));
//! assert!(m.matches(&"http://localhost/".parse()?));
//! assert!(!m.matches(&"http://localhost:3000/".parse()?)); // default port only
//! assert!(!m.matches(&"https://localhost/".parse()?)); // http only
//! // `localhost` is not a pattern: Postman never matches it, and says nothing.
//! assert_eq!(list.violations()[0].index(), Some(2));
//! # Ok::<(), proxyroute::Error>(())
//! ```

use super::syntax::{ascii_name, split_entries, strip_dot, Reader};
use super::{BypassList, BypassRule, BypassSyntax, ImplicitBypass, MatchFlags, Pattern};
use crate::error::Origin;

pub(crate) const FLAGS: MatchFlags = MatchFlags {
    names_see_ips: true,
    bracket_ipv6: true,
    explicit_port_only: false,
    first_occurrence: false,
    ip_families_apart: false,
    v6_as_text: false,
    whatwg_ipv6: false,
    as_written: 0,
    implicit: ImplicitBypass::None,
};

/// Reads patterns separated by commas or line breaks, leniently.
pub fn parse(text: &str, origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    for (index, entry) in split_entries(text, |c| matches!(c, ',' | '\n' | '\r')) {
        read_pattern(&mut reader, index, entry);
    }
    reader.finish(FLAGS, BypassSyntax::Postman, false)
}

/// Reads a `bypass` array of pattern strings, leniently. Entries are taken as
/// written (Postman does not trim them).
pub fn parse_patterns(patterns: &[&str], origin: Origin) -> BypassList {
    let mut reader = Reader::new(origin);
    for (index, pattern) in patterns.iter().enumerate() {
        read_pattern(&mut reader, index, pattern);
    }
    reader.finish(FLAGS, BypassSyntax::Postman, false)
}

/// The schemes a pattern may name, with their default ports.
const SCHEMES: [(&str, Option<u16>); 4] = [
    ("http", Some(80)),
    ("https", Some(443)),
    ("file", None),
    ("ftp", Some(21)),
];

/// A pattern's parts, as written.
struct Parts<'a> {
    schemes: Vec<&'static str>,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
}

fn read_pattern(reader: &mut Reader, index: usize, raw: &str) {
    if raw == "<all_urls>" {
        return reader.rule(Pattern::All, None, raw, index);
    }
    let parts = match split(raw) {
        Ok(parts) => parts,
        Err(why) => return reader.never(index, raw, why),
    };
    let path = match parts.path {
        "/*" => None,
        path => match PathGlob::new(path) {
            Ok(glob) => Some(glob),
            Err(why) => return reader.never(index, raw, why),
        },
    };
    let port = match parts.port {
        None | Some("*") => None,
        Some(digits) => match crate::proxy::parse_port(digits) {
            Some(port) => {
                if digits.len() > 1 && digits.starts_with('0') {
                    reader.note(
                        index,
                        raw,
                        "Postman compares ports as text: it matches only URLs that write the port \
                         with the same leading zeros",
                    );
                }
                Some(port)
            }
            None => return reader.never(index, raw, "no URL has this port"),
        },
    };
    let pattern = if parts.host == "*" {
        Pattern::All
    } else {
        let (suffix, name) = match parts.host.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, parts.host),
        };
        if name.bytes().any(|b| b.is_ascii_uppercase()) || name.ends_with('.') {
            reader.note(
                index,
                raw,
                "Postman compares the host's text case-sensitively and keeps a trailing dot; \
                 hosts here are normalised, so the pattern is read in lower case without it",
            );
        }
        let host = match host_text(name, suffix) {
            Some(host) => host,
            None => return reader.never(index, raw, "no URL has this host"),
        };
        if suffix {
            Pattern::Domain(host.into())
        } else {
            Pattern::Host(host.into())
        }
    };
    let mut pushed = false;
    for scheme in &parts.schemes {
        let default = SCHEMES.iter().find(|(s, _)| s == scheme).and_then(|s| s.1);
        if *scheme == "file" {
            continue;
        }
        let port = match parts.port {
            None => default,
            Some(_) => port,
        };
        let mut rule = BypassRule::new(pattern.clone(), port, raw, index).with_scheme(scheme);
        if let Some(glob) = &path {
            rule = rule.with_path(glob.clone());
        }
        reader.push(rule);
        pushed = true;
    }
    if !pushed {
        reader.ignored(index, raw, "file URLs never go through a proxy");
    }
}

/// The host as targets write it: lower case, IDNA, IPv4 in dotted-quad form
/// (a name's suffix after `*.` is kept as text). `None` when no URL has it.
fn host_text(name: &str, suffix: bool) -> Option<String> {
    let name = strip_dot(name);
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if suffix {
        return ascii_name(name);
    }
    match url::Host::parse(name).ok()? {
        url::Host::Domain(d) => Some(d),
        url::Host::Ipv4(a) => Some(a.to_string()),
        url::Host::Ipv6(_) => None,
    }
}

/// Splits a pattern by the grammar above; `Err` says why it is not one.
fn split(raw: &str) -> Result<Parts<'_>, &'static str> {
    const NOT: &str =
        "not a URL match pattern (scheme://host/path, such as http://example.com/*): \
                       Postman never matches it";
    let (schemes_text, rest) = raw.split_once("://").ok_or(NOT)?;
    let mut schemes: Vec<&'static str> = Vec::new();
    for (i, name) in schemes_text.split('+').enumerate() {
        let names: &[&'static str] = match name {
            "*" if i == 0 => &["http", "https", "file", "ftp"],
            "*" => return Err("* may only come first in the scheme list"),
            _ => match SCHEMES.iter().find(|(s, _)| *s == name) {
                Some((s, _)) => std::slice::from_ref(s),
                None => {
                    return Err(
                        "a scheme other than http, https, file, ftp or * (the grammar is \
                         case-sensitive): Postman never matches the pattern",
                    )
                }
            },
        };
        for n in names {
            if !schemes.contains(n) {
                schemes.push(n);
            }
        }
    }
    let host_end = rest.find([':', '/']).ok_or(NOT)?;
    let host = &rest[..host_end];
    let valid_host = match host.strip_prefix("*.") {
        _ if host == "*" => true,
        Some(name) => !name.is_empty() && !name.contains('*'),
        None => !host.is_empty() && !host.contains('*'),
    };
    if !valid_host {
        return Err(
            "the host must be *, *.name or a name without *: Postman never matches the pattern",
        );
    }
    let after = &rest[host_end..];
    let (port, path) = match after.strip_prefix(':') {
        Some(port_and_path) => {
            let slash = port_and_path.find('/').ok_or(NOT)?;
            let port = &port_and_path[..slash];
            let ok = port == "*" || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err("the port must be * or digits: Postman never matches the pattern");
            }
            (Some(port), &port_and_path[slash..])
        }
        None => (None, after),
    };
    Ok(Parts {
        schemes,
        host,
        port,
        path,
    })
}

/// One element of a path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Atom {
    /// This character.
    Char(char),
    /// Any one character (`?`).
    One,
    /// Any run of characters (the first `*`).
    Run,
}

/// A Postman path pattern, compiled: postman-collection turns the glob into
/// an anchored regular expression in which `?` is `.`, the first `*` is `.*`
/// and every other character is literal, so that a later `*` repeats the atom
/// before it. Matched by a set-of-states walk, linear in the path for a given
/// pattern, without allocating.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PathGlob {
    /// Each atom and whether it may repeat (zero or more times).
    atoms: std::sync::Arc<[(Atom, bool)]>,
}

/// The most atoms a path pattern may have (the state set is 8 words).
const MAX_ATOMS: usize = 8 * 64 - 1;

impl PathGlob {
    pub(crate) fn new(path: &str) -> Result<Self, &'static str> {
        let mut atoms: Vec<(Atom, bool)> = Vec::new();
        let mut run_used = false;
        for c in path.chars() {
            match c {
                '*' if !run_used => {
                    run_used = true;
                    atoms.push((Atom::Run, false));
                }
                '*' => match atoms.last_mut() {
                    Some((atom, repeat)) if *atom != Atom::Run && !*repeat => *repeat = true,
                    _ => {
                        return Err("Postman throws on this path (\"Nothing to repeat\": a * \
                                    after the first * or after another *), so it never matches")
                    }
                },
                '?' => atoms.push((Atom::One, false)),
                c => atoms.push((Atom::Char(c), false)),
            }
        }
        if atoms.len() > MAX_ATOMS {
            return Err("the path pattern is longer than this crate matches (511 characters)");
        }
        Ok(PathGlob {
            atoms: atoms.into(),
        })
    }

    /// Whether `path` matches the whole pattern.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let atoms = &self.atoms;
        let n = atoms.len();
        let mut states = [0u64; 8];
        let set = |s: &mut [u64; 8], i: usize| s[i / 64] |= 1 << (i % 64);
        let has = |s: &[u64; 8], i: usize| s[i / 64] & (1 << (i % 64)) != 0;
        // A state i means "atoms before i are matched"; repeatable atoms and
        // runs may match nothing, so the closure skips over them.
        let close = |s: &mut [u64; 8]| {
            for i in 0..n {
                let skippable = matches!(atoms[i], (Atom::Run, _) | (_, true));
                if has(s, i) && skippable {
                    set(s, i + 1);
                }
            }
        };
        set(&mut states, 0);
        close(&mut states);
        for c in path.chars() {
            let mut next = [0u64; 8];
            let mut any = false;
            for i in 0..n {
                if !has(&states, i) {
                    continue;
                }
                let (atom, repeat) = atoms[i];
                let hit = match atom {
                    Atom::Char(a) => a == c,
                    // A regular expression's `.` does not match a line break.
                    Atom::One | Atom::Run => !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'),
                };
                if hit {
                    any = true;
                    if atom == Atom::Run || repeat {
                        set(&mut next, i);
                    }
                    set(&mut next, i + 1);
                }
            }
            if !any {
                return false;
            }
            close(&mut next);
            states = next;
        }
        has(&states, n)
    }
}

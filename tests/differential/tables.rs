//! The tables of differences the differential test accepts.
//!
//! - `DELIBERATE`: proxyroute answers otherwise on purpose. Each entry names
//!   the case shape (a predicate), the reason, and the test row that pins
//!   proxyroute's answer (`tests/dialects.rs: "<row name>"` or
//!   `tests/differential.rs: <fn name>`); `rows_exist` checks the row is there.
//! - `KNOWN`: proxyroute bugs, to fix. The test prints every one it meets
//!   ("KNOWN DIVERGENCE, TO FIX", with a count and an example) and does not
//!   fail on them; it also says when one is no longer seen.
//!
//! To move an entry: a fixed bug is deleted from `KNOWN` (the test then fails
//! on any case it still covered); a bug judged deliberate after all is cut
//! from `KNOWN`, pasted into `DELIBERATE`, and given a `row` naming a test
//! that pins proxyroute's answer (add the row first, then run
//! `cargo test --test differential` for `rows_exist`). An entry covers a
//! disagreement when `tools` lists the tool and `shape` holds; `DELIBERATE`
//! is tried first, and the first entry that holds counts it.

use crate::corpus::Case;
use crate::outcome::{Outcome, Tool};

/// A disagreement, as the predicates see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen<'a> {
    pub(crate) case: &'a Case,
    /// What the real program did.
    pub(crate) tool: &'a Outcome,
    /// What proxyroute answered under the tool's dialect.
    pub(crate) ours: &'a Outcome,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: &'static str,
    pub(crate) tools: &'static [Tool],
    pub(crate) shape: fn(&Seen<'_>) -> bool,
    pub(crate) reason: &'static str,
    /// The test row pinning proxyroute's answer (empty for a `KNOWN` bug that
    /// has none yet).
    pub(crate) row: &'static str,
}

/// The first entry of `table` covering a disagreement.
pub(crate) fn find<'e>(table: &'e [Entry], tool: Tool, seen: &Seen<'_>) -> Option<&'e Entry> {
    table
        .iter()
        .find(|e| e.tools.contains(&tool) && (e.shape)(seen))
}

// ===== shapes =====

impl Seen<'_> {
    fn url_scheme(&self) -> &str {
        self.case.url.split_once("://").map_or("", |(s, _)| s)
    }

    /// The URL's host as written (brackets kept).
    fn url_host(&self) -> &str {
        let rest = self.case.url.split_once("://").map_or("", |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or("");
        if authority.starts_with('[') {
            authority.split_inclusive(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        }
    }

    /// The value of the variable whose proxy an answer names.
    fn value_behind(&self, o: &Outcome) -> Option<&str> {
        let Outcome::Proxy { host, .. } = o else {
            return None;
        };
        let var = self.case.variable_of_host(host)?;
        self.case
            .vars
            .iter()
            .find(|(n, _)| n == var)
            .map(|(_, v)| v.as_str())
    }

    /// One side took a value with blanks around it, or refused it.
    fn blank_value_decides(&self) -> bool {
        let blank = |v: &str| !v.is_empty() && v.trim() != v;
        let refused = |o: &Outcome| {
            matches!(o, Outcome::Error(e) if self.case.vars.iter().any(|(n, v)| {
                crate::corpus::is_proxy_variable(n)
                    && blank(v)
                    && (e.contains(v.as_str()) || e.contains(&format!("variable {n} ")))
            }))
        };
        self.value_behind(self.tool).is_some_and(blank)
            || self.value_behind(self.ours).is_some_and(blank)
            || refused(self.tool)
            || refused(self.ours)
    }

    fn tool_scheme(&self) -> Option<&str> {
        match self.tool {
            Outcome::Proxy { scheme, .. } => scheme.as_deref(),
            _ => None,
        }
    }

    fn tool_host(&self) -> Option<&str> {
        match self.tool {
            Outcome::Proxy { host, .. } => Some(host),
            _ => None,
        }
    }

    /// proxyroute refused the value of a proxy variable naming one of
    /// `schemes`. Matched on the stable part of every such refusal, the
    /// variable's name and value it quotes, not on the wording of the reason.
    fn ours_refused_value_of_scheme(&self, schemes: &[&str]) -> bool {
        let Outcome::Error(e) = self.ours else {
            return false;
        };
        self.case.vars.iter().any(|(n, v)| {
            crate::corpus::is_proxy_variable(n)
                && !v.is_empty()
                && e.contains(&format!("{n} "))
                && (e.contains(v.as_str()) || e.contains(&password_hidden(v)))
                && v.trim().split_once("://").is_some_and(|(scheme, _)| {
                    schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme))
                })
        })
    }
}

/// A proxy value as errors quote it: the password as `***`.
fn password_hidden(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => value.to_owned(),
        },
        None => value.to_owned(),
    }
}

/// Both name the same proxy host and port.
fn same_place(a: &Outcome, b: &Outcome) -> bool {
    matches!((a, b), (Outcome::Proxy { host: h1, port: p1, .. }, Outcome::Proxy { host: h2, port: p2, .. })
        if h1.eq_ignore_ascii_case(h2) && p1 == p2)
}

/// The proxy schemes Go 1.19 re-reads as a host name.
const GO_UNSPOKEN: &[&str] = &["socks", "socks4", "socks4a", "socks5h", "ftp"];

fn unsupported(o: &Outcome) -> bool {
    matches!(o, Outcome::Unsupported(_))
}

pub(crate) static DELIBERATE: &[Entry] = &[
    Entry {
        name: "url-scheme-the-tool-cannot-fetch",
        tools: &[Tool::Curl, Tool::Python],
        shape: |s| unsupported(s.tool),
        reason: "the program refuses the URL's scheme before any proxy decision (curl 7.88 as Debian builds it has no ws/wss and no unknown schemes; urllib opens no ws/wss/unknown scheme without a <scheme>_proxy); a resolver still answers for the scheme, as curl 8.11+ (WebSockets built in) does",
        row: "tests/differential.rs: unsupported_schemes_still_get_an_answer",
    },
    Entry {
        name: "python-non-ascii-url-to-a-proxy",
        tools: &[Tool::Python],
        shape: |s| {
            matches!(s.tool, Outcome::Error(e) if e.starts_with("UnicodeEncodeError"))
                && matches!(s.ours, Outcome::Proxy { .. })
        },
        reason: "urllib chose the proxy, then http.client failed to write the non-ASCII URL into the request line (an urllib bug, after the decision); proxyroute gives the proxy urllib chose",
        row: "tests/differential.rs: python_idn_url_is_proxied",
    },
    Entry {
        name: "go-1.19-unknown-proxy-scheme",
        tools: &[Tool::Go],
        shape: |s| {
            !s.blank_value_decides()
                && s.tool_host().is_some_and(|h| {
                    GO_UNSPOKEN.contains(&h) && s.ours_refused_value_of_scheme(&[h])
                })
        },
        reason: "Go 1.19 speaks http, https and socks5 proxies only and re-reads any other scheme as http://<value>, an HTTP proxy at a host named `socks5h`, `socks4` or `ftp` that nobody configured; proxyroute refuses the value naming Go's reading (later Go releases also accept socks5h)",
        row: "tests/dialects.rs: \"go: a socks5h value is refused (Go 1.19 reads it as a host named socks5h)\"",
    },
    Entry {
        name: "node-ftp-proxy-url",
        tools: &[Tool::Node],
        shape: |s| s.tool_scheme() == Some("ftp") && s.ours_refused_value_of_scheme(&["ftp"]),
        reason: "proxy-from-env hands an ftp:// proxy URL to the client, which cannot speak to it; proxyroute refuses the value naming the variable (fail closed)",
        row: "tests/differential.rs: ftp_proxy_urls_are_refused",
    },
    Entry {
        name: "go-1.19-trailing-blank",
        tools: &[Tool::Go],
        shape: |s| {
            s.case.vars.iter().any(|(n, v)| {
                crate::corpus::is_proxy_variable(n)
                    && v.ends_with(char::is_whitespace)
                    && v.trim().split_once("://").is_some_and(|(scheme, _)| {
                        s.tool_host().is_some_and(|h| h.eq_ignore_ascii_case(scheme))
                            && s.ours_refused_value_of_scheme(&[scheme])
                    })
            })
        },
        reason: "Go 1.19 reads `http://p:3128 ` (a blank behind) as an HTTP proxy named after the value's scheme (`http`); the tool's proxy is a host nobody configured: proxyroute refuses the value, never a silent wrong hop",
        row: "tests/dialects.rs: \"go: a proxy value with a blank behind is refused\"",
    },
    Entry {
        name: "node-schemeless-value-for-ws-or-wss",
        tools: &[Tool::Node],
        shape: |s| {
            let ours = match s.ours {
                Outcome::Proxy { scheme: Some(o), .. } => o.as_str(),
                _ => "",
            };
            matches!((s.tool_scheme(), ours), (Some("ws"), "http") | (Some("wss"), "https"))
                && same_place(s.tool, s.ours)
        },
        reason: "proxy-from-env gives a scheme-less ws_proxy=q the request's scheme (`ws://q`, `wss://t`); a route needs a proxy protocol: ws is an HTTP proxy on port 80, wss a TLS proxy on port 443, the same host and port",
        row: "tests/dialects.rs: \"node: a scheme-less value for ws is an HTTP proxy on port 80\"",
    },
    Entry {
        name: "node-schemeless-value-for-ftp-or-unknown-scheme",
        tools: &[Tool::Node],
        shape: |s| {
            s.tool_scheme().is_some_and(|t| t == "ftp" || t == s.url_scheme())
                && !matches!(s.tool_scheme(), Some("http" | "https" | "ws" | "wss"))
                && matches!(s.ours, Outcome::Error(_))
        },
        reason: "proxy-from-env gives a scheme-less ftp_proxy=r `ftp://r`, a scheme-less all_proxy for `foo://` `foo://v`; no Node proxy agent speaks those schemes: refused",
        row: "tests/dialects.rs: \"node: a scheme-less value for ftp is refused\"",
    },
    Entry {
        name: "python-ftp-hop",
        tools: &[Tool::Python],
        shape: |s| s.tool_scheme() == Some("ftp") && matches!(s.ours, Outcome::Error(_)),
        reason: "`ftp_proxy=p1` (or an `ftp://` value reached by re-dispatch) makes urllib speak FTP to `p1:21`; an FTP server is no proxy protocol: refused",
        row: "tests/dialects.rs: \"python: a scheme-less ftp_proxy is an FTP server, refused\"",
    },
    Entry {
        name: "node-opaque-unicode-host",
        tools: &[Tool::Node],
        shape: |s| {
            !matches!(s.url_scheme(), "http" | "https" | "ws" | "wss" | "ftp")
                && !s.url_host().is_ascii()
                && matches!(s.ours, Outcome::Direct)
        },
        reason: "Node's URL percent-encodes a Unicode host of a non-special scheme (`gopherx://bücher.example/` has host `b%C3%BCcher.example`), so proxy-from-env's `xn--bcher-kva.example` entry does not match it while `*.example` still does; proxyroute reads the host of any scheme as the name it spells and converts it to punycode, which the punycode entry matches: a percent-encoded opaque host is an artifact of Node's URL parser for non-special schemes, not a name any client could connect to, and the Target keeps one reading of a host for every scheme",
        row: "tests/differential.rs: node_unicode_host_of_an_unknown_scheme_is_read_as_its_name",
    },
];

/// proxyroute bugs (issue 12, section 2), to fix.
pub(crate) static KNOWN: &[Entry] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_named_once_and_give_a_reason() {
        let mut names: Vec<&str> = DELIBERATE.iter().chain(KNOWN).map(|e| e.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "an entry name is used twice");
        for e in DELIBERATE.iter().chain(KNOWN) {
            assert!(!e.reason.is_empty() && !e.tools.is_empty(), "{}", e.name);
        }
    }

    #[test]
    fn rows_exist() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for e in DELIBERATE
            .iter()
            .chain(KNOWN.iter().filter(|e| !e.row.is_empty()))
        {
            let (file, row) = e
                .row
                .split_once(": ")
                .unwrap_or_else(|| panic!("{}: row {:?} is not `file: name`", e.name, e.row));
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|err| panic!("{}: {file}: {err}", e.name));
            let pinned = if row.starts_with('"') {
                text.contains(row)
            } else {
                text.contains(&format!("fn {row}("))
            };
            assert!(pinned, "{}: no row {row} in {file}", e.name);
        }
    }

    #[test]
    fn shapes_read_the_url() {
        let case = Case {
            index: 0,
            vars: vec![],
            url: "wss://[::1]:8080/p".into(),
        };
        let s = Seen {
            case: &case,
            tool: &Outcome::Direct,
            ours: &Outcome::Direct,
        };
        assert_eq!((s.url_scheme(), s.url_host()), ("wss", "[::1]"));
    }
}

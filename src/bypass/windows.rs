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

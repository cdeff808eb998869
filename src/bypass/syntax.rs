//! [`BypassSyntax`]: which tool's bypass-list syntax a text is written in, and
//! the small helpers the syntax parsers share.
//!
//! Every syntax is read into the same [`BypassRule`]s and compiled into the
//! same engine; only the reading differs. Each parser is lenient: an entry it
//! skips, or one the tool itself would never match, becomes a [`Violation`]
//! naming the entry's index and text, and nothing panics.

use std::fmt;
use std::str::FromStr;

use super::{chromium, gnome, kde, macos, postman, windows};
use super::{BypassList, BypassRule, MatchFlags, Pattern};
use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Origin, Violation, ViolationKind};

/// How a bypass list is written: the dialect's `NO_PROXY` reading, or the
/// syntax of one tool's own settings.
///
/// | syntax | written as | reader |
/// |---|---|---|
/// | `no-proxy` | a `NO_PROXY` value, read under the [`Dialect`] | [`BypassList::parse`] |
/// | `chromium` | `--proxy-bypass-list`: `[scheme://]pattern[:port]`, CIDR, `<local>`, `<-loopback>` | [`chromium`] |
/// | `windows` | WinINet `ProxyOverride`: `;`-separated globs, `<local>`, `<-loopback>` | [`windows`] |
/// | `macos` | `ExceptionsList`: globs, `10.10`, `169.254/16`, CIDR | [`macos`] |
/// | `gnome` | `ignore-hosts`: `['localhost', '.corp', '10.0.0.0/8', 'h:8080']` | [`gnome`] |
/// | `kde` | `NoProxyFor`: text-suffix entries, subnets, `host:port` | [`kde`] |
/// | `postman` | URL match patterns: `http+https://*.corp:*/*`, `<all_urls>` | [`postman`] |
///
/// ```
/// use proxyroute::{BypassList, BypassSyntax, Dialect, Origin};
/// let syntax: BypassSyntax = "windows".parse()?;
/// let list = BypassList::parse_syntax("*.corp;10.*;<local>", syntax, Dialect::Curl, Origin::Text);
/// let matcher = list.compile();
/// assert!(matcher.matches(&"http://git.corp/".parse()?));
/// assert!(matcher.matches(&"http://10.1.2.3/".parse()?));
/// assert!(matcher.matches(&"http://intranet/".parse()?));
/// // Windows never proxies loopback addresses, listed or not.
/// assert!(matcher.matches(&"http://127.0.0.1/".parse()?));
/// assert!(!matcher.matches(&"http://example.com/".parse()?));
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BypassSyntax {
    /// The dialect's `NO_PROXY` reading (the default).
    #[default]
    NoProxy,
    /// Chromium's proxy bypass rules (`--proxy-bypass-list`, policy, extensions).
    Chromium,
    /// Windows' WinINet `ProxyOverride`.
    Windows,
    /// macOS's `ExceptionsList` (System Settings, "Bypass proxy settings for").
    Macos,
    /// GNOME's `org.gnome.system.proxy ignore-hosts` (GLib's rules).
    Gnome,
    /// KDE's `NoProxyFor` in `kioslaverc`.
    Kde,
    /// Postman's bypass list: URL match patterns.
    Postman,
}

impl BypassSyntax {
    /// Every syntax. A slice, so that a new syntax does not change its type
    /// (the enum is `#[non_exhaustive]`).
    pub const ALL: &'static [BypassSyntax] = &[
        BypassSyntax::NoProxy,
        BypassSyntax::Chromium,
        BypassSyntax::Windows,
        BypassSyntax::Macos,
        BypassSyntax::Gnome,
        BypassSyntax::Kde,
        BypassSyntax::Postman,
    ];

    /// The tool whose rules the syntax follows, for explanations (`None` for
    /// the dialect's own `NO_PROXY`).
    pub(crate) fn tool(self) -> Option<&'static str> {
        match self {
            BypassSyntax::NoProxy => None,
            BypassSyntax::Chromium => Some("Chromium"),
            BypassSyntax::Windows => Some("Windows"),
            BypassSyntax::Macos => Some("macOS"),
            BypassSyntax::Gnome => Some("GNOME"),
            BypassSyntax::Kde => Some("KDE"),
            BypassSyntax::Postman => Some("Postman"),
        }
    }

    /// The syntax's name, as `FromStr` and the CLI's `--bypass-syntax` take it.
    pub fn as_str(self) -> &'static str {
        match self {
            BypassSyntax::NoProxy => "no-proxy",
            BypassSyntax::Chromium => "chromium",
            BypassSyntax::Windows => "windows",
            BypassSyntax::Macos => "macos",
            BypassSyntax::Gnome => "gnome",
            BypassSyntax::Kde => "kde",
            BypassSyntax::Postman => "postman",
        }
    }
}

impl fmt::Display for BypassSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BypassSyntax {
    type Err = Error;

    /// A syntax by name, in any case (`no_proxy` and `noproxy` are read as
    /// `no-proxy`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.to_ascii_lowercase();
        let name = match lower.as_str() {
            "no_proxy" | "noproxy" => "no-proxy",
            "chrome" => "chromium",
            "win" | "wininet" => "windows",
            "mac" | "macosx" | "osx" => "macos",
            other => other,
        };
        BypassSyntax::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported(
                        "bypass syntax (expected no-proxy, chromium, windows, macos, gnome, kde \
                         or postman)",
                    ),
                    Origin::Text,
                    s,
                )
            })
    }
}

impl BypassList {
    /// Reads `text` written in `syntax`, leniently: entries that cannot be
    /// read, or that the tool itself would never match, are skipped and
    /// reported in [`violations`](BypassList::violations).
    ///
    /// [`BypassSyntax::NoProxy`] reads `text` as `dialect`'s `NO_PROXY`; every
    /// other syntax has its own reader (see [`BypassSyntax`]), and `dialect`
    /// is only recorded.
    pub fn parse_syntax(
        text: &str,
        syntax: BypassSyntax,
        dialect: Dialect,
        origin: Origin,
    ) -> BypassList {
        let list = match syntax {
            BypassSyntax::NoProxy => return BypassList::parse_from(text, dialect, origin),
            BypassSyntax::Chromium => chromium::parse(text, origin),
            BypassSyntax::Windows => windows::parse(text, origin),
            BypassSyntax::Macos => macos::parse(text, origin),
            BypassSyntax::Gnome => gnome::parse(text, origin),
            BypassSyntax::Kde => kde::parse(text, false, origin),
            BypassSyntax::Postman => postman::parse(text, origin),
        };
        list.with_dialect(dialect)
    }
}

/// Collects one list's rules and violations.
pub(crate) struct Reader {
    origin: Origin,
    rules: Vec<BypassRule>,
    violations: Vec<Violation>,
}

impl Reader {
    pub(crate) fn new(origin: Origin) -> Self {
        Reader {
            origin,
            rules: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Room for `rules` more rules.
    pub(crate) fn reserve(&mut self, rules: usize) {
        self.rules.reserve(rules);
    }

    pub(crate) fn push(&mut self, rule: BypassRule) {
        self.rules.push(rule);
    }

    pub(crate) fn rule(&mut self, pattern: Pattern, port: Option<u16>, text: &str, index: usize) {
        self.rules.push(BypassRule::new(pattern, port, text, index));
    }

    fn flag(&mut self, index: Option<usize>, text: &str, kind: ViolationKind) {
        self.violations
            .push(Violation::new(self.origin.clone(), index, text, kind));
    }

    /// The entry parses, but the tool would never match it.
    pub(crate) fn never(&mut self, index: usize, text: &str, why: &'static str) {
        self.flag(Some(index), text, ViolationKind::NeverMatches(why));
    }

    /// The entry cannot be read.
    pub(crate) fn invalid(&mut self, index: usize, text: &str, kind: ErrorKind) {
        self.flag(Some(index), text, ViolationKind::Invalid(kind));
    }

    /// The entry (or part of it) is skipped: the tool reads it, this crate cannot.
    pub(crate) fn ignored(&mut self, index: usize, text: &str, why: &'static str) {
        self.flag(Some(index), text, ViolationKind::Ignored(why));
    }

    /// The entry is used, with a remark on how the tool reads it.
    pub(crate) fn note(&mut self, index: usize, text: &str, why: &'static str) {
        self.flag(Some(index), text, ViolationKind::Note(why));
    }

    /// A problem with the whole text rather than one entry.
    pub(crate) fn invalid_text(&mut self, text: &str, kind: ErrorKind) {
        self.flag(None, text, ViolationKind::Invalid(kind));
    }

    /// The list. `last_wins`: a later entry overrides an earlier one (the
    /// engine tries rules in order, lowest first, so they are stored reversed).
    pub(crate) fn finish(
        self,
        flags: MatchFlags,
        syntax: BypassSyntax,
        last_wins: bool,
    ) -> BypassList {
        let (rules, violations) = self.into_parts(last_wins);
        BypassList::from_parts(rules, violations, flags, Dialect::default()).with_syntax(syntax)
    }

    /// The rules, in the order [`finish`](Reader::finish) stores them, and
    /// the violations.
    pub(crate) fn into_parts(mut self, last_wins: bool) -> (Vec<BypassRule>, Vec<Violation>) {
        if last_wins {
            self.rules.reverse();
        }
        (self.rules, self.violations)
    }
}

/// Splits `text` at every character `is_sep` accepts, trims each part and
/// drops the empty ones; the index counts every part, empty ones included.
pub(crate) fn split_entries(text: &str, is_sep: impl Fn(char) -> bool) -> Vec<(usize, &str)> {
    fn keep((index, part): (usize, &str)) -> Option<(usize, &str)> {
        let part = part.trim();
        (!part.is_empty()).then_some((index, part))
    }
    if !text.is_ascii() {
        return text.split(is_sep).enumerate().filter_map(keep).collect();
    }
    // ASCII: byte by byte, without decoding characters.
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if is_sep(char::from(b)) {
            parts.push(&text[start..at]);
            start = at + 1;
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().enumerate().filter_map(keep).collect()
}

/// A host name as hosts are compared: ASCII lower case, non-ASCII names in
/// their IDNA (punycode) form. `None` when the name cannot be converted.
pub(crate) fn ascii_name(name: &str) -> Option<String> {
    if name.is_ascii() {
        return Some(name.to_ascii_lowercase());
    }
    match url::Host::parse(name).ok()? {
        url::Host::Domain(d) => Some(d),
        _ => None,
    }
}

/// One trailing dot removed: targets never keep theirs.
pub(crate) fn strip_dot(name: &str) -> &str {
    match name.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => name,
    }
}

/// What a host pattern (lower case already) means: `*` every host, `*.x`
/// the subdomains of `x`, `*x` any host ending in `x`, no wildcard exactly
/// that host, anything else a glob.
pub(crate) fn glob_pattern(pattern: &str) -> Pattern {
    let wild = |s: &str| s.contains(['*', '?']);
    if pattern == "*" {
        Pattern::All
    } else if !wild(pattern) {
        Pattern::Host(pattern.into())
    } else if let Some(lit) = pattern.strip_prefix("*.").filter(|l| !wild(l)) {
        Pattern::Subdomains(lit.into())
    } else if let Some(lit) = pattern.strip_prefix('*').filter(|l| !wild(l)) {
        Pattern::HostSuffix(lit.into())
    } else {
        Pattern::Glob(pattern.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &s in BypassSyntax::ALL {
            assert_eq!(s.as_str().parse::<BypassSyntax>().unwrap(), s);
            assert_eq!(
                s.to_string()
                    .to_uppercase()
                    .parse::<BypassSyntax>()
                    .unwrap(),
                s
            );
        }
        assert!("lynx".parse::<BypassSyntax>().is_err());
    }

    #[test]
    fn glob_patterns() {
        assert_eq!(glob_pattern("*"), Pattern::All);
        assert_eq!(glob_pattern("a.b"), Pattern::Host("a.b".into()));
        assert_eq!(glob_pattern("*.b"), Pattern::Subdomains("b".into()));
        assert_eq!(glob_pattern("*b"), Pattern::HostSuffix("b".into()));
        assert_eq!(glob_pattern("*.*.b"), Pattern::Glob("*.*.b".into()));
        assert_eq!(glob_pattern("10.*"), Pattern::Glob("10.*".into()));
        assert_eq!(glob_pattern("?.b"), Pattern::Glob("?.b".into()));
    }

    #[test]
    fn split_counts_empty_parts() {
        assert_eq!(
            split_entries(" a ;; b,", |c| c == ';' || c == ','),
            vec![(0, "a"), (2, "b")]
        );
    }
}

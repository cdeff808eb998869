//! [`ProxyRules`]: the manual proxy form of Windows' `ProxyServer` value and
//! Chromium's `--proxy-server` / `ProxyRules`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Origin, Result, Violation, ViolationKind};
use crate::proxy::{parse_proxy, Proxy, ProxyScheme, ProxySyntax};

/// The per-scheme keys, in the order [`Display`](fmt::Display) writes them.
const KEYS: [&str; 4] = ["http", "https", "ftp", "socks"];

/// Manual proxy rules (Windows' `ProxyServer`, Chromium's `--proxy-server`):
/// one proxy for every scheme, or one per request scheme with a SOCKS fallback.
///
/// ```text
/// rules = proxy                                      one proxy for every scheme
///       | entry *( (";" | blanks) entry )            one per scheme
/// entry = key "=" proxy[ "," proxy ... ]              key: http, https, ftp, socks (any case)
/// proxy = [ proxy-scheme "://" ] host [ ":" port ]
/// ```
///
/// - `http=`, `https=` and `ftp=` name the *request* scheme a proxy serves.
///   A value without a scheme is a plain HTTP proxy, for `https=` too: `https=`
///   means "the proxy for https URLs", never TLS to the proxy (the mistake
///   reqwest#1080 and CPython bpo-42627 made). Write `https://` in the value for
///   a TLS proxy.
/// - `socks=` is SOCKS4 unless its value names a scheme (`socks5://h:1080`), and
///   serves every request scheme without an entry of its own (Windows and
///   Chromium), `http` and `https` included.
/// - WebSocket requests (`ws`, `wss`) use `socks=`, else `https=`, else `http=`
///   (Chromium, after RFC 6455 section 4.1.3).
/// - Ports default to 80 for HTTP, 443 for HTTPS, 1080 for SOCKS.
///
/// Which form a value is in follows its first entry, as in Chromium: in the
/// per-scheme form entries without `key=` are ignored, in the single form
/// everything after the first proxy is. Keys other than the four, comma lists
/// (Chromium's failover; only the first proxy is used here) and repeated keys
/// are reported as [`Violation`]s by [`ProxyRules::parse_lenient`] and are
/// errors for [`ProxyRules::parse`].
///
/// ```
/// use proxyroute::{ProxyRules, ProxyScheme};
/// let rules: ProxyRules = "http=proxy:3128;https=proxy:3128;socks=socks.corp:1080".parse()?;
/// let https = rules.proxy_for("https").unwrap();
/// assert_eq!(https.scheme(), ProxyScheme::Http); // traffic type, not TLS to the proxy
/// let other = rules.proxy_for("ftp").unwrap();
/// assert_eq!(other.to_string(), "socks4://socks.corp:1080");
/// assert_eq!(rules.to_string(), "http=proxy:3128;https=proxy:3128;socks=socks.corp:1080");
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyRules {
    single: Option<Proxy>,
    /// `http=`, `https=`, `ftp=`, `socks=`, in [`KEYS`] order.
    per_scheme: [Option<Proxy>; 4],
    violations: Vec<Violation>,
    /// Whose reading chooses the proxy for a request scheme.
    reading: Reading,
}

/// Whose reading of the rules [`ProxyRules::proxy_for`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Reading {
    /// Chromium and WinINet: `socks=` serves schemes without an entry, and
    /// WebSocket requests use `socks=`, `https=`, then `http=`.
    #[default]
    Chromium,
    /// .NET's `HttpWindowsProxy`: two proxies only, the secure one (`https=`)
    /// for https and wss requests and the other (`http=`) for every other
    /// scheme.
    Dotnet,
}

impl ProxyRules {
    /// Parses `text` strictly.
    ///
    /// # Errors
    ///
    /// The first problem [`parse_lenient`](ProxyRules::parse_lenient) would
    /// report: an empty value, a proxy that does not parse, an unknown key, an
    /// ignored entry.
    pub fn parse(text: &str) -> Result<ProxyRules> {
        let rules = ProxyRules::parse_lenient(text, Origin::Text);
        match rules.violations.first() {
            Some(v) => Err(Error::from_violation(v)),
            None => Ok(rules),
        }
    }

    /// Parses `text` leniently: entries that cannot be read are skipped and
    /// reported in [`violations`](ProxyRules::violations), naming `origin`,
    /// the entry's index (counting entries, not separators) and its text.
    pub fn parse_lenient(text: &str, origin: Origin) -> ProxyRules {
        let mut reader = Reader {
            origin,
            rules: ProxyRules::default(),
        };
        let normalized = tighten_equals(text);
        let entries: Vec<&str> = normalized
            .split(|c: char| c == ';' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .collect();
        let Some(first) = entries.first() else {
            reader.flag(None, text, ViolationKind::Invalid(ErrorKind::Empty));
            return reader.rules;
        };
        if !first.contains('=') {
            if let Some(proxy) = reader.proxy(0, first, first, ProxyScheme::Http) {
                reader.rules.single = Some(proxy);
            }
            for (index, entry) in entries.iter().enumerate().skip(1) {
                reader.flag(
                    Some(index),
                    entry,
                    ViolationKind::Ignored(
                        "the single-proxy form names one proxy; what follows it is ignored",
                    ),
                );
            }
            return reader.rules;
        }
        for (index, entry) in entries.iter().enumerate() {
            reader.entry(index, entry);
        }
        reader.rules
    }

    /// Parses a WinINet `ProxyServer` value as .NET's `HttpWindowsProxy`
    /// reads it, leniently (dotnet/runtime
    /// `System.Net.Http/src/System/Net/Http/SocketsHttpHandler/MultiProxy.cs`,
    /// `TryParseProxyConfigPart`; .NET cannot run here, so the rules are the
    /// source's):
    ///
    /// - entries are separated by `;` or blanks; each is
    ///   `[http=|https=][http://|https://]host[:port]`, prefixes in lower
    ///   case only;
    /// - `http=` serves insecure requests, `https=` secure ones (https, wss),
    ///   an entry with neither serves both; a `http://` or `https://` prefix
    ///   on the value then decides alone (`http=https://p` serves https);
    /// - every proxy is an HTTP proxy (the value is read as `http://` + the
    ///   rest), port 80 by default; `socks=` and other keys do not make a
    ///   proxy (the text is no URI host) and are reported;
    /// - the first entry for each kind is used (later ones are .NET's
    ///   failover list, reported here);
    /// - ws requests use the insecure proxy, wss the secure one, and every
    ///   other scheme the insecure one.
    ///
    /// ```
    /// use proxyroute::{Origin, ProxyRules};
    /// let rules = ProxyRules::parse_dotnet("http=a:1;https=b:2", Origin::Text);
    /// assert_eq!(rules.proxy_for("ws").unwrap().to_string(), "http://a:1");
    /// assert_eq!(rules.proxy_for("wss").unwrap().to_string(), "http://b:2");
    /// let one = ProxyRules::parse_dotnet("proxy:3128", Origin::Text);
    /// assert_eq!(one.proxy_for("https").unwrap().to_string(), "http://proxy:3128");
    /// let secure_only = ProxyRules::parse_dotnet("https://s:443", Origin::Text);
    /// assert!(secure_only.proxy_for("http").is_none());
    /// assert_eq!(secure_only.proxy_for("https").unwrap().to_string(), "http://s:443");
    /// ```
    pub fn parse_dotnet(text: &str, origin: Origin) -> ProxyRules {
        const SECURE: u8 = 1;
        const INSECURE: u8 = 2;
        let mut rules = ProxyRules {
            reading: Reading::Dotnet,
            ..ProxyRules::default()
        };
        let flag = |rules: &mut ProxyRules, index, entry: &str, kind| {
            rules
                .violations
                .push(Violation::new(origin.clone(), Some(index), entry, kind));
        };
        let entries = text
            .split([';', ' ', '\n', '\r', '\t'])
            .filter(|e| !e.is_empty())
            .enumerate();
        for (index, entry) in entries {
            let mut kind = SECURE | INSECURE;
            let mut rest = entry;
            if let Some(r) = rest.strip_prefix("http=") {
                (kind, rest) = (INSECURE, r);
            } else if let Some(r) = rest.strip_prefix("https=") {
                (kind, rest) = (SECURE, r);
            }
            if let Some(r) = rest.strip_prefix("http://") {
                (kind, rest) = (INSECURE, r);
            } else if let Some(r) = rest.strip_prefix("https://") {
                (kind, rest) = (SECURE, r);
            }
            let proxy = match parse_proxy(&format!("http://{rest}"), &ProxySyntax::STANDARD, None) {
                Ok(proxy) => proxy,
                Err(_) => {
                    flag(
                        &mut rules,
                        index,
                        entry,
                        ViolationKind::Ignored(
                            ".NET skips an entry it cannot read as http://host:port \
                             (MultiProxy.TryParseProxyConfigPart)",
                        ),
                    );
                    continue;
                }
            };
            let mut used = false;
            for (bit, slot) in [(INSECURE, 0), (SECURE, 1)] {
                if kind & bit != 0 && rules.per_scheme[slot].is_none() {
                    rules.per_scheme[slot] = Some(proxy.clone());
                    used = true;
                }
            }
            if !used {
                flag(
                    &mut rules,
                    index,
                    entry,
                    ViolationKind::Ignored(
                        ".NET keeps later proxies as a failover list; only the first is used here",
                    ),
                );
            }
        }
        rules
    }

    /// The same rules with every password removed (user names kept).
    #[cfg(feature = "serde")]
    pub(crate) fn without_passwords(&self) -> ProxyRules {
        let strip = |p: &Proxy| match p.credentials() {
            Some(c) if c.password().is_some() => {
                let p = p.clone().without_credentials();
                if c.username().is_empty() {
                    p
                } else {
                    p.with_credentials(crate::proxy::Credentials::new(c.username(), None))
                }
            }
            _ => p.clone(),
        };
        ProxyRules {
            single: self.single.as_ref().map(strip),
            per_scheme: self.per_scheme.clone().map(|p| p.as_ref().map(strip)),
            violations: Vec::new(),
            reading: self.reading,
        }
    }

    /// The proxy for every scheme, in the single form (`proxy:3128`).
    pub fn single(&self) -> Option<&Proxy> {
        self.single.as_ref()
    }

    /// The proxy an entry names: `key` is `http`, `https`, `ftp` or `socks`.
    pub fn get(&self, key: &str) -> Option<&Proxy> {
        let slot = KEYS.iter().position(|k| k.eq_ignore_ascii_case(key))?;
        self.per_scheme[slot].as_ref()
    }

    /// The `socks=` proxy, which serves every request scheme without an entry.
    pub fn fallback(&self) -> Option<&Proxy> {
        self.per_scheme[3].as_ref()
    }

    /// The proxy for requests of `scheme`, if the rules name one.
    pub fn proxy_for(&self, scheme: &str) -> Option<&Proxy> {
        if let Some(single) = &self.single {
            return Some(single);
        }
        let [http, https, ftp, socks] = &self.per_scheme;
        let scheme = scheme.to_ascii_lowercase();
        if self.reading == Reading::Dotnet {
            return match scheme.as_str() {
                "https" | "wss" => https.as_ref(),
                _ => http.as_ref(),
            };
        }
        match scheme.as_str() {
            "http" => http.as_ref().or(socks.as_ref()),
            "https" => https.as_ref().or(socks.as_ref()),
            "ftp" => ftp.as_ref().or(socks.as_ref()),
            "ws" | "wss" => socks.as_ref().or(https.as_ref()).or(http.as_ref()),
            _ => socks.as_ref(),
        }
    }

    /// Whether the rules are in the per-scheme form.
    pub fn is_per_scheme(&self) -> bool {
        self.single.is_none() && self.per_scheme.iter().any(Option::is_some)
    }

    /// Whether the rules name no proxy at all.
    pub fn is_empty(&self) -> bool {
        self.single.is_none() && self.per_scheme.iter().all(Option::is_none)
    }

    /// Entries skipped or flagged while reading.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

impl FromStr for ProxyRules {
    type Err = Error;

    /// Parses strictly, as [`ProxyRules::parse`].
    fn from_str(s: &str) -> Result<Self> {
        ProxyRules::parse(s)
    }
}

impl fmt::Display for ProxyRules {
    /// The canonical form: `host:port` for the single form, else
    /// `http=...;https=...;ftp=...;socks=...` for the entries present, each
    /// value without its scheme when the scheme is the key's default. Passwords
    /// show as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(single) = &self.single {
            return write_value(f, single, ProxyScheme::Http);
        }
        let mut first = true;
        for (key, proxy) in KEYS.iter().zip(&self.per_scheme) {
            let Some(proxy) = proxy else { continue };
            if !first {
                f.write_str(";")?;
            }
            first = false;
            write!(f, "{key}=")?;
            write_value(f, proxy, default_scheme(key))?;
        }
        Ok(())
    }
}

fn default_scheme(key: &str) -> ProxyScheme {
    if key == "socks" {
        ProxyScheme::Socks4
    } else {
        ProxyScheme::Http
    }
}

fn write_value(f: &mut fmt::Formatter<'_>, proxy: &Proxy, default: ProxyScheme) -> fmt::Result {
    if proxy.scheme() == default && proxy.credentials().is_none() {
        f.write_str(&proxy.authority())
    } else {
        write!(f, "{proxy}")
    }
}

/// Removes blanks around `=`, so that `http = h:1` reads as one entry.
fn tighten_equals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_equals = false;
    for c in text.chars() {
        if c == '=' {
            let kept = out.trim_end().len();
            out.truncate(kept);
            out.push('=');
            after_equals = true;
        } else if after_equals && c.is_whitespace() {
            continue;
        } else {
            after_equals = false;
            out.push(c);
        }
    }
    out
}

struct Reader {
    origin: Origin,
    rules: ProxyRules,
}

impl Reader {
    fn flag(&mut self, index: Option<usize>, text: &str, kind: ViolationKind) {
        self.rules
            .violations
            .push(Violation::new(self.origin.clone(), index, text, kind));
    }

    fn entry(&mut self, index: usize, entry: &str) {
        let Some((key, value)) = entry.split_once('=') else {
            return self.flag(
                Some(index),
                entry,
                ViolationKind::Ignored(
                    "an entry without key= in the per-scheme form is ignored (as Chromium does)",
                ),
            );
        };
        let key = key.to_ascii_lowercase();
        let Some(slot) = KEYS.iter().position(|k| *k == key) else {
            return self.flag(
                Some(index),
                entry,
                ViolationKind::Ignored("only the keys http=, https=, ftp= and socks= are read"),
            );
        };
        if self.rules.per_scheme[slot].is_some() {
            return self.flag(
                Some(index),
                entry,
                ViolationKind::Ignored(
                    "a repeated key: Chromium would try this proxy after the first; this crate \
                     uses the first",
                ),
            );
        }
        if let Some(proxy) = self.proxy(index, entry, value, default_scheme(&key)) {
            self.rules.per_scheme[slot] = Some(proxy);
        }
    }

    /// The first proxy of a (comma-separated) value.
    fn proxy(
        &mut self,
        index: usize,
        entry: &str,
        value: &str,
        default: ProxyScheme,
    ) -> Option<Proxy> {
        let mut list = value.split(',').map(str::trim);
        let first = list.next().unwrap_or_default();
        if list.any(|p| !p.is_empty()) {
            self.flag(
                Some(index),
                entry,
                ViolationKind::Ignored(
                    "a list of proxies: Chromium tries them in turn; this crate uses the first",
                ),
            );
        }
        if first.is_empty() {
            self.flag(Some(index), entry, ViolationKind::Invalid(ErrorKind::Empty));
            return None;
        }
        let parsed = if first.contains("://") || default == ProxyScheme::Http {
            parse_proxy(first, &ProxySyntax::STANDARD, None)
        } else {
            parse_proxy(
                &format!("{default}://{first}"),
                &ProxySyntax::STANDARD,
                None,
            )
        };
        match parsed {
            Ok(proxy) => Some(proxy),
            Err(e) => {
                self.flag(Some(index), entry, ViolationKind::Invalid(e.kind().clone()));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_around_equals_are_dropped() {
        assert_eq!(
            tighten_equals("http = a:1 ;  https=  b:2"),
            "http=a:1 ;  https=b:2"
        );
    }
}

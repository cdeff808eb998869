//! Reading proxy environment variables under a [`Dialect`], through an injected
//! lookup function so that nothing here touches the process environment except
//! [`EnvProxies::from_env`].

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};

use crate::bypass::BypassList;
use crate::dialect::{
    AllProxy, Blanks, Case, Cgi, Dialect, Empty, SchemeVars, Unusable, ValueScheme,
};
use crate::error::{Error, ErrorKind, Origin, Violation, ViolationKind};
use crate::proxy::{parse_proxy, DefaultScheme, Proxy, ProxyScheme};
use crate::target::{Target, KNOWN_SCHEME_COUNT, SCHEME_HTTP};

/// The value found for one request scheme: the variable it came from and the
/// proxy, or the error that makes it unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvSlot {
    pub(crate) var: String,
    pub(crate) proxy: Result<Proxy, Error>,
}

/// The proxy settings found in the environment under one dialect: a proxy (or
/// an error) per request scheme, the no-proxy list, and what was skipped.
///
/// ```
/// use proxyroute::{Dialect, EnvProxies};
/// let vars = [("https_proxy", "http://proxy:3128"), ("no_proxy", "localhost,.corp")];
/// let env = EnvProxies::read(Dialect::Curl, |name| {
///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
/// });
/// assert_eq!(env.proxy_for("https").unwrap().to_string(), "http://proxy:3128");
/// assert!(env.proxy_for("http").is_none());
/// assert_eq!(env.no_proxy().unwrap().rules().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvProxies {
    dialect: Dialect,
    /// One slot per known scheme, then one for every other scheme.
    pub(crate) slots: Vec<Option<EnvSlot>>,
    pub(crate) no_proxy_var: Option<String>,
    pub(crate) no_proxy: BypassList,
    /// Go: an http request with an HTTP proxy is refused (CGI).
    pub(crate) cgi_refusal: Option<Error>,
    /// Chromium: `auto_proxy` is set; nothing can be resolved without PAC.
    pub(crate) pac: Option<Error>,
    /// Slots for schemes the crate does not know by name (`foo_proxy` for
    /// `foo://`), found by listing the variables; lower-case scheme first.
    pub(crate) extra: Vec<(Box<str>, EnvSlot)>,
    violations: Vec<Violation>,
}

struct Reader<'a, F> {
    dialect: Dialect,
    lookup: &'a F,
    violations: Vec<Violation>,
    flagged: HashSet<String>,
    /// urllib: the no-proxy list, which its re-dispatch applies to proxies.
    no_proxy: Option<BypassList>,
    /// urllib: upper-case `HTTP_PROXY` is not read (CGI).
    no_upper_http: bool,
}

impl<F, V> Reader<'_, F>
where
    F: Fn(&str) -> Option<V>,
    V: AsRef<OsStr>,
{
    /// The variable's value: `None` when unset, `Some("")` when empty.
    /// A value that is not UTF-8 is reported and read as unset.
    fn get(&mut self, name: &str) -> Option<String> {
        let value = (self.lookup)(name)?;
        match value.as_ref().to_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                let shown = value.as_ref().to_string_lossy().into_owned();
                self.flag_once(
                    name,
                    &shown,
                    ViolationKind::Ignored("the value is not valid UTF-8"),
                );
                None
            }
        }
    }

    fn flag_once(&mut self, var: &str, text: &str, kind: ViolationKind) {
        if self.flagged.insert(var.to_owned()) {
            self.violations
                .push(Violation::new(Origin::env(var), None, text, kind));
        }
    }

    /// The first usable spelling among `names`, under the empty-value rule.
    fn first(&mut self, names: &[String], empty: Empty) -> Option<(String, String)> {
        for name in names {
            match self.get(name) {
                None => continue,
                Some(value) if value.is_empty() => match empty {
                    Empty::Unset => continue,
                    Empty::Shadows => return None,
                },
                Some(value) => return Some((name.clone(), value)),
            }
        }
        None
    }

    fn spellings(&self, base: &str) -> Vec<String> {
        let lower = format!("{}_proxy", base.to_ascii_lowercase());
        let upper = lower.to_ascii_uppercase();
        match self.dialect.spec().env.case {
            Case::LowerFirst => vec![lower, upper],
            Case::UpperFirst => vec![upper, lower],
        }
    }

    /// The slot for `var`'s `value`, or `None` when the tool ignores the
    /// variable altogether (Go, for a value it cannot parse).
    fn slot(
        &mut self,
        var: String,
        value: &str,
        request: Option<ProxyScheme>,
        scheme: Option<&str>,
    ) -> Option<EnvSlot> {
        let spec = self.dialect.spec();
        let read = match spec.env.value_scheme {
            ValueScheme::Kept => value,
            ValueScheme::Dropped => without_scheme(value),
        };
        let leading = read.starts_with(char::is_whitespace);
        let trailing = read.ends_with(char::is_whitespace);
        let refusal = match spec.env.blanks {
            _ if !leading && !trailing => None,
            Blanks::Trimmed => None,
            Blanks::Refused(why) => Some(why),
            Blanks::Go if leading => {
                self.flag_once(
                    &var,
                    value,
                    ViolationKind::Ignored(
                        "Go cannot parse a value with a blank in front and ignores the \
                         variable (Go 1.19): remove the blank",
                    ),
                );
                return None;
            }
            Blanks::Skipped => {
                self.flag_once(
                    &var,
                    value,
                    ViolationKind::Ignored(
                        "hyper-util cannot parse a value with blanks around it (http::Uri) \
                         and skips the variable; ALL_PROXY serves instead: remove the blanks",
                    ),
                );
                return None;
            }
            Blanks::Go => Some(
                "Go 1.19 reads a value with a trailing blank as a proxy named after its \
                 scheme (`http://p:3128 ` becomes a proxy at host `http`); refused here: \
                 remove the blank",
            ),
            // Decided hop by hop in `python_hop`: a value re-dispatched to
            // another variable is read for its scheme only.
            Blanks::Python => None,
        };
        // proxy-from-env puts the request's scheme in front of a value
        // without one: `ftp://host` or `foo://host` is a proxy URL that no
        // Node proxy agent speaks.
        let refusal = refusal.or_else(|| {
            (spec.proxy.default_scheme == DefaultScheme::Request
                && request.is_none()
                && !read.contains("://"))
            .then_some(
                "proxy-from-env gives a value without a scheme the request's scheme \
                 (ftp://host for ftp), a proxy URL no Node agent speaks: write http://host:port",
            )
        });
        let (var, proxy) = match refusal {
            Some(why) => (
                var.clone(),
                Err(Error::new(
                    ErrorKind::RefusedByTool(why),
                    Origin::env(&var),
                    value,
                )),
            ),
            None if spec.env.redispatch => self.python_hop(var, read, scheme.unwrap_or(""), 0),
            None => {
                let proxy = parse_proxy(read, &spec.proxy, request);
                (var, proxy)
            }
        };
        let proxy = proxy.map_err(|e| e.with_origin(Origin::env(&var)));
        match &proxy {
            Err(e) => {
                let v = Violation::from_error(e.clone());
                if self.flagged.insert(var.clone()) {
                    self.violations.push(v);
                }
            }
            Ok(_) if !spec.proxy.credentials && value.contains('@') => self.flag_once(
                &var,
                value,
                ViolationKind::Note("Chromium ignores credentials in proxy variables"),
            ),
            Ok(_) => {}
        }
        Some(EnvSlot { var, proxy })
    }

    /// urllib's first hop for a request of `scheme` whose variable `var`
    /// holds `value` (CPython 3.11 `ProxyHandler.proxy_open`, observed with
    /// `socket.create_connection` intercepted): an https request goes to the
    /// value's host and port as to an HTTP proxy (CONNECT; port 443 by
    /// default) whatever scheme it names; a value naming the request's own
    /// scheme is used as is; a value naming another scheme re-opens the
    /// request under that scheme, so that its own variable serves it (unless
    /// `no_proxy` matches the proxy), else the value's host is reached as
    /// that scheme's server (`https://` as a TLS proxy).
    fn python_hop(
        &mut self,
        var: String,
        value: &str,
        scheme: &str,
        depth: usize,
    ) -> (String, Result<Proxy, Error>) {
        let spec = self.dialect.spec();
        let refuse = |var: &str, why: &'static str| {
            Err(Error::new(
                ErrorKind::RefusedByTool(why),
                Origin::env(var),
                value,
            ))
        };
        // Only an https request opens its tunnel before the scheme is looked
        // at: for any other, a blank in front is part of the scheme.
        if value.starts_with(char::is_whitespace) && scheme != "https" {
            return (
                var.clone(),
                refuse(
                    &var,
                    "urllib takes the blank as part of the proxy's scheme and fails \
                     (\"unknown url type\", CPython 3.11): remove the blank",
                ),
            );
        }
        // `int()` strips blanks around a port; without one, a blank behind
        // stays in the host name of the hop.
        let blank_host = value.ends_with(char::is_whitespace) && !has_port(value.trim());
        let trimmed = value.trim();
        let (named, rest) = match trimmed.find("://") {
            Some(i) => (Some(trimmed[..i].to_ascii_lowercase()), &trimmed[i + 3..]),
            None => (None, trimmed),
        };
        let parse = |as_scheme: &str, request: Option<ProxyScheme>| {
            if blank_host {
                return refuse(
                    &var,
                    "urllib keeps the blank in the proxy's host name when no port \
                     follows it and fails (\"URL can't contain control characters\", \
                     CPython 3.11): remove the blank",
                );
            }
            parse_proxy(&format!("{as_scheme}://{rest}"), &spec.proxy, request)
                .map_err(|e| Error::new(e.kind().clone(), Origin::env(&var), value))
        };
        if scheme == "https" {
            return (var.clone(), parse("http", Some(ProxyScheme::Https)));
        }
        let named = named.unwrap_or_else(|| scheme.to_owned());
        if named == scheme {
            let proxy = match scheme {
                "http" => parse("http", Some(ProxyScheme::Http)),
                "ftp" => refuse(
                    &var,
                    "urllib speaks FTP to an ftp:// proxy (port 21 by default), not a \
                     proxy protocol: write http://host:port",
                ),
                _ => refuse(
                    &var,
                    "urllib has no handler for this scheme (\"unknown url type\")",
                ),
            };
            return (var.clone(), proxy);
        }
        if depth > 8 {
            return (
                var.clone(),
                refuse(
                    &var,
                    "urllib re-dispatches between these variables without end \
                     (RecursionError)",
                ),
            );
        }
        // The request is re-opened as a `named` request to the proxy; the
        // proxy's host is checked against no_proxy first.
        let bypassed = match crate::proxy::split_host_port(rest.rsplit('@').next().unwrap_or(rest))
        {
            Ok((host, port)) => Target::new(&named, host, port).is_ok_and(|t| {
                self.no_proxy
                    .as_ref()
                    .is_some_and(|list| list.find_linear(&t).is_some())
            }),
            Err(_) => false,
        };
        if !bypassed {
            let mut names = self.spellings(&named);
            if named == "http" && self.no_upper_http {
                names.retain(|n| n != "HTTP_PROXY");
            }
            if let Some((next, next_value)) = self.first(&names, spec.env.empty_proxy) {
                let label = format!("{var} then {next}");
                let (_, proxy) = self.python_hop(next, &next_value, &named, depth + 1);
                return (label, proxy);
            }
        }
        let proxy = match named.as_str() {
            "http" => parse("http", Some(ProxyScheme::Http)),
            "https" => parse("https", None),
            _ => refuse(
                &var,
                "urllib re-dispatches the request to the proxy's scheme and has no \
                 handler for it (\"unknown url type\")",
            ),
        };
        (var.clone(), proxy)
    }

    /// Chromium's `SOCKS_SERVER`, its SOCKS scheme already chosen.
    fn socks_slot(&mut self, value: &str) -> EnvSlot {
        let var = "SOCKS_SERVER".to_owned();
        let proxy = parse_proxy(value, &self.dialect.spec().proxy, None)
            .map_err(|e| e.with_origin(Origin::env(&var)));
        if let Err(e) = &proxy {
            if self.flagged.insert(var.clone()) {
                self.violations.push(Violation::from_error(e.clone()));
            }
        }
        EnvSlot { var, proxy }
    }
}

/// The proxy scheme a scheme-less value takes from a request of `scheme`
/// (npm proxy-from-env writes the request's scheme in front): WebSocket
/// requests are HTTP (`ws`) or TLS (`wss`) ones; `None` for a scheme no proxy
/// speaks.
fn request_scheme(scheme: &str) -> Option<ProxyScheme> {
    match scheme {
        "ws" => Some(ProxyScheme::Http),
        "wss" => Some(ProxyScheme::Https),
        other => other.parse().ok(),
    }
}

/// Whether a proxy value writes a port (`p:3128`, `http://u@[::1]:1/`).
fn has_port(value: &str) -> bool {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host_port.contains(':'),
    }
}

/// The value without any `scheme://` in front (Chromium's `FixupProxyHostScheme`).
fn without_scheme(value: &str) -> &str {
    match value.find("://") {
        Some(i) => &value[i + 3..],
        None => value,
    }
}

impl EnvProxies {
    /// Reads the process environment under `dialect`. The variables are
    /// listed, so that tools which read `<scheme>_proxy` for any scheme are
    /// followed for schemes the crate does not know by name (see
    /// [`EnvProxies::read_vars`]).
    pub fn from_env(dialect: Dialect) -> Self {
        EnvProxies::read_vars(dialect, std::env::vars_os())
    }

    /// Reads a listed environment (`(name, value)` pairs, as
    /// [`std::env::vars_os`] gives them) under `dialect`. Unlike
    /// [`EnvProxies::read`], it sees every variable's name, so curl's,
    /// Python's and Node's reading of `<scheme>_proxy` for any URL scheme
    /// (`foo_proxy` for `foo://`) is followed too.
    ///
    /// ```
    /// use proxyroute::{Dialect, EnvProxies};
    /// let env = EnvProxies::read_vars(Dialect::Python, [("foo_proxy", "http://p:3128")]);
    /// assert_eq!(env.proxy_for("foo").unwrap().to_string(), "http://p:3128");
    /// // A lookup cannot be asked for names it was never given:
    /// let env = EnvProxies::read(Dialect::Python, |n| (n == "foo_proxy").then_some("http://p:3128"));
    /// assert!(env.proxy_for("foo").is_none());
    /// ```
    pub fn read_vars<I, K, V>(dialect: Dialect, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let vars: Vec<(String, OsString)> = vars
            .into_iter()
            .filter_map(|(k, v)| Some((k.as_ref().to_str()?.to_owned(), v.as_ref().to_owned())))
            .collect();
        let mut bases: Vec<String> = Vec::new();
        if let SchemeVars::Any { .. } = dialect.spec().env.schemes {
            let known = crate::target::known_schemes();
            for (name, _) in &vars {
                let Some(base) = name
                    .len()
                    .checked_sub(6)
                    .filter(|&i| name.is_char_boundary(i))
                    .filter(|&i| name[i..].eq_ignore_ascii_case("_proxy"))
                    .map(|i| name[..i].to_ascii_lowercase())
                else {
                    continue;
                };
                let scheme_like = base.starts_with(|c: char| c.is_ascii_alphabetic())
                    && base
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
                if scheme_like
                    && !matches!(base.as_str(), "all" | "no")
                    && !dialect.spec().env.never_proxied.contains(&base.as_str())
                    && !known.contains(&base.as_str())
                    && !bases.contains(&base)
                {
                    bases.push(base);
                }
            }
            bases.sort();
        }
        let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        EnvProxies::read_with(dialect, lookup, &bases)
    }

    /// Reads the environment through `lookup` (a variable's name to its value,
    /// `None` when unset) under `dialect`. Lenient: unusable values are kept as
    /// errors for the schemes they would serve, and reported as violations.
    pub fn read<F, V>(dialect: Dialect, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<V>,
        V: AsRef<OsStr>,
    {
        EnvProxies::read_with(dialect, lookup, &[])
    }

    /// [`EnvProxies::read`], also reading `<base>_proxy` for each of
    /// `extra_bases` (schemes the crate does not know by name).
    fn read_with<F, V>(dialect: Dialect, lookup: F, extra_bases: &[String]) -> Self
    where
        F: Fn(&str) -> Option<V>,
        V: AsRef<OsStr>,
    {
        let spec = dialect.spec().env;
        let mut r = Reader {
            dialect,
            lookup: &lookup,
            violations: Vec::new(),
            flagged: HashSet::new(),
            no_proxy: None,
            no_upper_http: false,
        };
        let mut slots: Vec<Option<EnvSlot>> = vec![None; KNOWN_SCHEME_COUNT + 1];
        let mut pac = None;
        let mut cgi_refusal = None;
        let mut extra = Vec::new();

        // The CGI guard decides which spellings may be read at all.
        let (cgi_all_off, skip_upper_http, refuse_http) = match spec.cgi {
            Cgi::None => (false, false, false),
            Cgi::DisableAll { var } => (r.get(var).is_some(), false, false),
            Cgi::IgnoreUpperHttp { var } => (false, r.get(var).is_some(), false),
            Cgi::RefuseHttp { var } => (false, false, r.get(var).is_some_and(|v| !v.is_empty())),
        };
        let no_upper_http = !spec.upper_http || skip_upper_http;
        r.no_upper_http = no_upper_http;
        // The no-proxy list is read first: urllib's re-dispatch applies it to
        // proxies (the reading itself has no effect on the variables).
        let no_proxy_names: Vec<String> = match spec.case {
            Case::LowerFirst => vec!["no_proxy".into(), "NO_PROXY".into()],
            Case::UpperFirst => vec!["NO_PROXY".into(), "no_proxy".into()],
        };
        let (no_proxy_var, no_proxy) = match r.first(&no_proxy_names, spec.empty_no_proxy) {
            Some((var, value)) => {
                let list = BypassList::parse_from(&value, dialect, Origin::env(&var));
                (Some(var), list)
            }
            None => (None, BypassList::empty(dialect)),
        };
        if spec.redispatch && no_proxy_var.is_some() {
            r.no_proxy = Some(no_proxy.clone());
        }
        if no_upper_http {
            if let Some(value) = r.get("HTTP_PROXY").filter(|v| !v.is_empty()) {
                let why = if spec.upper_http {
                    "CGI environment (httpoxy guard): upper-case HTTP_PROXY is not trusted; use http_proxy"
                } else {
                    "curl never reads upper-case HTTP_PROXY (httpoxy); use http_proxy"
                };
                r.flag_once("HTTP_PROXY", &value, ViolationKind::Ignored(why));
            }
        }

        if spec.auto_proxy {
            if let Some(url) = r.get("auto_proxy") {
                let text = if url.is_empty() {
                    "(empty: auto-detect)"
                } else {
                    url.as_str()
                };
                pac = Some(Error::new(
                    ErrorKind::PacNotEvaluated,
                    Origin::env("auto_proxy"),
                    text,
                ));
            }
        }

        if cgi_all_off {
            if let Cgi::DisableAll { var } = spec.cgi {
                r.flag_once(
                    var,
                    "(set)",
                    ViolationKind::Ignored(
                        "CGI environment: hyper-util ignores every proxy variable while REQUEST_METHOD is set",
                    ),
                );
            }
        } else {
            let all_names = r.spellings("all");
            let request_schemes = crate::target::known_schemes();
            // Chromium: a set ALL_PROXY serves every scheme.
            let winner = match spec.all {
                AllProxy::Wins => r.first(&all_names, spec.empty_proxy),
                _ => None,
            };
            for (i, scheme) in request_schemes.iter().map(Some).chain([None]).enumerate() {
                let request = scheme.and_then(|s| request_scheme(s));
                if let Some((var, value)) = &winner {
                    slots[i] = r.slot(var.clone(), value, request, scheme.copied());
                    continue;
                }
                let mut found = None;
                let bases = bases(spec.schemes, scheme.copied());
                let bases = &bases;
                // ALL_PROXY stands in for the per-scheme variables of the
                // schemes the tool proxies at all: hyper-util reads it for
                // http and https only.
                let served = !matches!(spec.schemes, SchemeVars::Table(_)) || !bases.is_empty();
                for base in bases {
                    let mut names = r.spellings(base);
                    if *base == "http" && no_upper_http {
                        names.retain(|n| n != "HTTP_PROXY");
                    }
                    if let Some(hit) = r.first(&names, spec.empty_proxy) {
                        found = Some(hit);
                        break;
                    }
                }
                if found.is_none() && spec.all == AllProxy::Fallback && served {
                    found = r.first(&all_names, spec.empty_proxy);
                }
                if let Some((var, value)) = found {
                    slots[i] = r.slot(var.clone(), &value, request, scheme.copied());
                    let usable = matches!(&slots[i], Some(EnvSlot { proxy: Ok(_), .. }));
                    if !usable && spec.unusable != Unusable::Refused {
                        // The tool skips the value for the next one it reads.
                        let mut next: Vec<String> = match spec.unusable {
                            Unusable::NextSpelling => bases
                                .iter()
                                .flat_map(|base| r.spellings(base))
                                .filter(|n| !(no_upper_http && n == "HTTP_PROXY"))
                                .skip_while(|n| *n != var)
                                .skip(1)
                                .collect(),
                            _ => Vec::new(),
                        };
                        if spec.all == AllProxy::Fallback && served {
                            next.extend(all_names.iter().cloned());
                        }
                        next.retain(|n| *n != var);
                        slots[i] = None;
                        for name in next {
                            let Some((var, value)) = r.first(&[name], spec.empty_proxy) else {
                                continue;
                            };
                            let slot = r.slot(var, &value, request, scheme.copied());
                            if matches!(&slot, Some(EnvSlot { proxy: Ok(_), .. })) {
                                slots[i] = slot;
                                break;
                            }
                        }
                    }
                }
            }
            if winner.is_none() {
                for base in extra_bases {
                    if let Some((var, value)) = r.first(&r.spellings(base), spec.empty_proxy) {
                        if let Some(slot) = r.slot(var, &value, None, Some(base.as_str())) {
                            extra.push((base.as_str().into(), slot));
                        }
                    }
                }
            }
            if spec.socks_server && slots.iter().all(Option::is_none) {
                if let Some(value) = r.get("SOCKS_SERVER").filter(|v| !v.is_empty()) {
                    // Version 5 unless SOCKS_VERSION is 4 or the value says
                    // socks4://; any other scheme in the value is dropped.
                    let version = r.get("SOCKS_VERSION");
                    let v4 = version.as_deref() == Some("4")
                        || value
                            .get(..9)
                            .is_some_and(|p| p.eq_ignore_ascii_case("socks4://"));
                    let scheme = if v4 { "socks4" } else { "socks5" };
                    let value = format!("{scheme}://{}", without_scheme(&value));
                    for slot in slots.iter_mut() {
                        *slot = Some(r.socks_slot(&value));
                    }
                }
            }
            if refuse_http {
                // Whether the value parses or not: Go refuses before parsing.
                if let Some(EnvSlot { var, .. }) = &slots[usize::from(SCHEME_HTTP)] {
                    // The error names the variable as its origin and quotes its value.
                    let value = r.get(var).unwrap_or_default();
                    cgi_refusal = Some(Error::new(ErrorKind::CgiRefused, Origin::env(var), &value));
                }
            }
        }

        let mut violations = r.violations;
        violations.extend(no_proxy.violations().iter().cloned());
        EnvProxies {
            dialect,
            slots,
            no_proxy_var,
            no_proxy,
            cgi_refusal,
            pac,
            extra,
            violations,
        }
    }

    /// The dialect the environment was read under.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The proxy for requests of `scheme`, if a usable variable serves it.
    pub fn proxy_for(&self, scheme: &str) -> Option<&Proxy> {
        self.slot_for(scheme)?.proxy.as_ref().ok()
    }

    /// The variable that serves requests of `scheme`, usable or not.
    pub fn variable_for(&self, scheme: &str) -> Option<&str> {
        Some(&self.slot_for(scheme)?.var)
    }

    fn slot_for(&self, scheme: &str) -> Option<&EnvSlot> {
        match crate::target::known_schemes()
            .iter()
            .position(|s| s.eq_ignore_ascii_case(scheme))
        {
            Some(index) => self.slots[index].as_ref(),
            None => self.other_slot(scheme),
        }
    }

    /// The slot of a scheme the crate does not know by name: its own
    /// `<scheme>_proxy` if one was listed, else the shared one.
    pub(crate) fn other_slot(&self, scheme: &str) -> Option<&EnvSlot> {
        let never = self.dialect.spec().env.never_proxied;
        if never.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            return None;
        }
        self.extra
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(scheme))
            .map(|(_, slot)| slot)
            .or(self.slots[KNOWN_SCHEME_COUNT].as_ref())
    }

    /// The no-proxy list, if a variable set one.
    pub fn no_proxy(&self) -> Option<&BypassList> {
        self.no_proxy_var.as_ref().map(|_| &self.no_proxy)
    }

    /// The variable the no-proxy list came from.
    pub fn no_proxy_variable(&self) -> Option<&str> {
        self.no_proxy_var.as_deref()
    }

    /// Whether any proxy variable (or a PAC setting) was found: whether the
    /// environment layer decides.
    pub fn is_configured(&self) -> bool {
        self.pac.is_some() || self.slots.iter().any(Option::is_some) || !self.extra.is_empty()
    }

    /// Values skipped or flagged while reading.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

/// The variable bases (before `_proxy`) serving `scheme`, in order; `None` is
/// a scheme the crate does not know by name.
fn bases(vars: SchemeVars, scheme: Option<&'static str>) -> Vec<&'static str> {
    match (vars, scheme) {
        (SchemeVars::Any { websocket_fallback }, Some(s)) => match s {
            "ws" if websocket_fallback => vec!["ws", "http"],
            "wss" if websocket_fallback => vec!["wss", "https"],
            s => vec![s],
        },
        (SchemeVars::Any { .. }, None) => vec![],
        (SchemeVars::Table(table), Some(s)) => table
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, bases)| bases.to_vec())
            .unwrap_or_default(),
        (SchemeVars::Table(_), None) => vec![],
        (SchemeVars::HttpOrHttps, Some("http" | "ws")) => vec!["http"],
        (SchemeVars::HttpOrHttps, _) => vec!["https"],
    }
}

/// The variables `dialect` reads for requests of `scheme`, in order, ALL_PROXY
/// included where it is read.
pub(crate) fn variables_for(dialect: Dialect, scheme: &str) -> Vec<String> {
    let spec = dialect.spec().env;
    if spec.never_proxied.contains(&scheme) {
        return Vec::new();
    }
    let known = crate::target::known_schemes();
    let scheme = known.iter().copied().find(|s| *s == scheme);
    let spell = |base: &str| {
        let lower = format!("{base}_proxy");
        let upper = lower.to_ascii_uppercase();
        match spec.case {
            Case::LowerFirst => [lower, upper],
            Case::UpperFirst => [upper, lower],
        }
    };
    let mut names: Vec<String> = Vec::new();
    if spec.all == AllProxy::Wins {
        names.extend(spell("all"));
    }
    let bases = bases(spec.schemes, scheme);
    let served = !matches!(spec.schemes, SchemeVars::Table(_)) || !bases.is_empty();
    for base in bases {
        names.extend(
            spell(base)
                .into_iter()
                .filter(|n| spec.upper_http || n != "HTTP_PROXY"),
        );
    }
    if spec.all == AllProxy::Fallback && served {
        names.extend(spell("all"));
    }
    names
}

/// A lookup over a fixed list of `(name, value)` pairs, for tests and examples.
///
/// ```
/// let lookup = proxyroute::env::lookup_in(&[("https_proxy", "proxy:3128")]);
/// assert_eq!(lookup("https_proxy").as_deref(), Some(std::ffi::OsStr::new("proxy:3128")));
/// assert_eq!(lookup("http_proxy"), None);
/// ```
pub fn lookup_in<'a, K, V>(vars: &'a [(K, V)]) -> impl Fn(&str) -> Option<OsString> + 'a
where
    K: AsRef<str>,
    V: AsRef<OsStr>,
{
    move |name| {
        vars.iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref().to_owned())
    }
}

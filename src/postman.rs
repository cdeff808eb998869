//! Postman's own proxy configuration: [`ProxyConfig`] (one proxy rule of the
//! desktop app's custom proxy, or of postman-collection's model) and
//! [`ProxyConfigList`] (an ordered list of them, where the first enabled config
//! that applies wins).
//!
//! A config applies to a URL when
//! 1. the URL's scheme is `http` or `https` (any other scheme never uses a
//!    config, whatever its `match` says),
//! 2. no pattern of its `bypass` list matches the URL (a bypass hit passes the
//!    request on to the *next* config; it does not force a direct
//!    connection), and
//! 3. its `match` pattern matches (default `http+https://*:*/*`: every http
//!    and https URL on any port).
//!
//! When no config applies the request falls through to the next layer: in
//! Postman the system proxy, then the `HTTP_PROXY` / `HTTPS_PROXY` /
//! `NO_PROXY` variables, then a direct connection.
//!
//! Patterns are URL match patterns, read as [`bypass::postman`]
//! describes: a pattern's path is matched against the target's
//! [path](Target::path), which a target parsed from text keeps as written (a
//! target made from parts has the path `/`). Target schemes and hosts are
//! normalised (lower case) where Postman compares text as written.
//!
//! [`ProxyConfigList::from_json`] reads the JSON array Postman's model takes
//! (and its `toJSON` writes), with Postman's coercions: a field of the wrong
//! type is ignored and the default stays, `port` is read as a 32-bit number,
//! `host` keeps only the host of a URL, `protocol` is one of `http`, `socks4`,
//! `socks4a`, `socks5` or `socks5h`. Postman says nothing about what it
//! ignores; here each case is a [`Violation`].
//!
//! ```
//! use proxyroute::postman::ProxyConfigList;
//! use proxyroute::{Origin, Resolver};
//! let json = r#"[
//!   {"host": "proxy.corp", "port": 3128, "bypass": ["http://localhost/*", "*://*.internal:*/*"]},
//!   {"host": "socks.corp", "port": 1080, "protocol": "socks5", "match": "https://*.example.com:*/*"}
//! ]"#;
//! let configs = ProxyConfigList::from_json(json, Origin::setting("proxies.json"))?;
//! let resolver = Resolver::builder().postman_configs(configs).build()?;
//! let route = resolver.resolve(&"https://api.example.com/".parse()?);
//! assert_eq!(route.to_string(), "http://proxy.corp:3128");
//! // config 0 bypasses db.internal, so the next config is tried; its pattern
//! // (https://*.example.com:*/*) does not match, no config applies, and the
//! // request goes direct.
//! let why = resolver.explain(&"https://db.internal/".parse()?);
//! assert_eq!(why.route().to_string(), "DIRECT");
//! assert!(why.reason().contains("config 0 bypasses"), "{}", why.reason());
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::fmt;

use crate::bypass::{self, BypassHit, BypassMatcher};
use crate::error::{Error, ErrorKind, Origin, Violation, ViolationKind};
use crate::json::{self, Value};
use crate::proxy::{Credentials, Proxy, ProxyScheme};
use crate::target::Target;

/// The match pattern of a config that says none.
pub const DEFAULT_MATCH: &str = "http+https://*:*/*";

/// The port of a config that says none.
pub const DEFAULT_PORT: u16 = 8080;

/// One proxy rule in Postman's model: which proxy, for which URLs.
///
/// Built from a JSON definition by [`ProxyConfigList::from_json`], or in code:
///
/// ```
/// use proxyroute::postman::ProxyConfig;
/// use proxyroute::{Credentials, ProxyScheme};
/// let config = ProxyConfig::new("proxy.corp", 3128)
///     .with_match("https://*:*/*")
///     .with_bypass(["https://*.internal:*/*"])
///     .with_credentials(Credentials::new("alice", Some("s3cret")));
/// assert_eq!(config.proxy().unwrap().to_string(), "http://alice:***@proxy.corp:3128");
/// assert!(config.applies(&"https://example.com/".parse()?));
/// assert!(!config.applies(&"http://example.com/".parse()?));
/// assert!(!config.applies(&"https://git.internal/".parse()?));
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Clone)]
pub struct ProxyConfig {
    id: Option<String>,
    host: String,
    port: i32,
    protocol: ProxyScheme,
    pattern: String,
    tunnel: bool,
    disabled: bool,
    authenticate: bool,
    username: Option<String>,
    password: Option<String>,
    bypass: Vec<String>,
    origin: Origin,
    /// How a decision names the config: `custom:postman[i]`.
    pub(crate) source: String,
    compiled: Compiled,
}

#[derive(Clone)]
struct Compiled {
    proxy: Result<Proxy, Error>,
    matcher: BypassMatcher,
    bypass: Option<BypassMatcher>,
    violations: Vec<Violation>,
}

/// Whether, and why (not), a config applies to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applies<'a> {
    /// It applies: the request uses this config's proxy.
    Yes,
    /// The config is disabled (only a list looks at this).
    Disabled,
    /// The target's scheme is not `http` or `https`.
    NotHttp,
    /// A pattern of the config's `bypass` list matches: entry and text.
    Bypassed(usize, &'a str),
    /// The config's `match` pattern does not match.
    NoMatch,
}

impl ProxyConfig {
    /// A config for an HTTP proxy at `host:port` with every other field at
    /// Postman's default: match every http and https URL, no bypass, no
    /// credentials, no forced tunnel.
    pub fn new(host: &str, port: u16) -> Self {
        let mut config = ProxyConfig::default_with(Origin::Text);
        config.host = host.to_owned();
        config.port = i32::from(port);
        config.compile();
        config
    }

    fn default_with(origin: Origin) -> Self {
        let mut config = ProxyConfig {
            id: None,
            host: String::new(),
            port: i32::from(DEFAULT_PORT),
            protocol: ProxyScheme::Http,
            pattern: DEFAULT_MATCH.to_owned(),
            tunnel: false,
            disabled: false,
            authenticate: false,
            username: None,
            password: None,
            bypass: Vec::new(),
            origin,
            source: "custom:postman".to_owned(),
            compiled: Compiled {
                proxy: Err(Error::new(ErrorKind::MissingHost, Origin::Text, "")),
                matcher: bypass::postman::parse_patterns(&[], Origin::Text).compile(),
                bypass: None,
                violations: Vec::new(),
            },
        };
        config.compile();
        config
    }

    /// The same config speaking `protocol` to the proxy. Postman's JSON cannot
    /// say `https` (TLS to the proxy); this method can.
    #[must_use]
    pub fn with_protocol(mut self, protocol: ProxyScheme) -> Self {
        self.protocol = protocol;
        self.compile();
        self
    }

    /// The same config for the URLs `pattern` matches (`<all_urls>`, or
    /// `schemes://host[:port]/path`).
    #[must_use]
    pub fn with_match(mut self, pattern: &str) -> Self {
        self.pattern = pattern.to_owned();
        self.compile();
        self
    }

    /// The same config skipping the URLs any of `patterns` matches.
    #[must_use]
    pub fn with_bypass<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bypass = patterns.into_iter().map(Into::into).collect();
        self.compile();
        self
    }

    /// The same config sending these credentials (Postman's `authenticate`).
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.authenticate = true;
        self.username = Some(credentials.username().to_owned());
        self.password = credentials.password().map(str::to_owned);
        self.compile();
        self
    }

    /// The same config, tunnelling (CONNECT) http requests too when `tunnel`.
    #[must_use]
    pub fn with_tunnel(mut self, tunnel: bool) -> Self {
        self.tunnel = tunnel;
        self
    }

    /// The same config, switched off when `disabled`.
    #[must_use]
    pub fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// The proxy the config sends requests through, with its credentials when
    /// `authenticate` is on; an error when host and port make no proxy (an
    /// empty host, a port outside 1-65535).
    pub fn proxy(&self) -> Result<&Proxy, &Error> {
        self.compiled.proxy.as_ref()
    }

    /// The `id` of the definition, if it had one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The host, as Postman keeps it (without scheme, user info, port or path).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port, when it is one a connection can use (1 to 65535).
    /// `None` when the definition gave a number Postman keeps but no
    /// connection can use (`70000`, `-1`): such a config never proxies, and
    /// its violations say why.
    pub fn port(&self) -> Option<u16> {
        u16::try_from(self.port).ok().filter(|&p| p != 0)
    }

    /// The port exactly as Postman keeps it: its JavaScript coercion of the
    /// `port` value to a non-zero 32-bit integer (`" 3128 "` is 3128,
    /// `70000` stays 70000). For comparing with Postman itself;
    /// [`port`](ProxyConfig::port) is what a connection uses.
    pub fn postman_port(&self) -> i32 {
        self.port
    }

    /// How to talk to the proxy.
    pub fn protocol(&self) -> ProxyScheme {
        self.protocol
    }

    /// The `match` pattern's text.
    pub fn match_pattern(&self) -> &str {
        &self.pattern
    }

    /// The `bypass` patterns' texts.
    pub fn bypass_patterns(&self) -> &[String] {
        &self.bypass
    }

    /// Whether http requests are tunnelled (CONNECT) too; https requests
    /// always are.
    pub fn is_tunnel(&self) -> bool {
        self.tunnel
    }

    /// Whether the config is switched off.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Whether requests carry the credentials.
    pub fn is_authenticate(&self) -> bool {
        self.authenticate
    }

    /// The `username` of the definition, if it had one (the password has no
    /// accessor: [`proxy`](ProxyConfig::proxy) carries it to the client).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether the definition holds a password (never shown anywhere).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The definition as Postman's JSON writes it, *without the password*:
    /// what the `serde` feature serialises. `https` (TLS to the proxy) has no
    /// spelling in Postman's JSON, so such a config cannot be written.
    #[cfg(feature = "serde")]
    pub(crate) fn to_definition(&self) -> Result<Value, &'static str> {
        if self.protocol == ProxyScheme::Https {
            return Err(
                "a Postman config speaking https to the proxy cannot be written: \
                        Postman's protocol field has no https",
            );
        }
        let mut members = Vec::new();
        if let Some(id) = &self.id {
            members.push(("id".to_owned(), Value::String(id.clone())));
        }
        members.push(("host".to_owned(), Value::String(self.host.clone())));
        members.push(("port".to_owned(), Value::Number(f64::from(self.port))));
        members.push((
            "protocol".to_owned(),
            Value::String(self.protocol.as_str().to_owned()),
        ));
        members.push(("match".to_owned(), Value::String(self.pattern.clone())));
        if !self.bypass.is_empty() {
            let items = self.bypass.iter().cloned().map(Value::String).collect();
            members.push(("bypass".to_owned(), Value::Array(items)));
        }
        members.push(("tunnel".to_owned(), Value::Bool(self.tunnel)));
        members.push(("disabled".to_owned(), Value::Bool(self.disabled)));
        members.push(("authenticate".to_owned(), Value::Bool(self.authenticate)));
        if let Some(username) = &self.username {
            members.push(("username".to_owned(), Value::String(username.clone())));
        }
        Ok(Value::Object(members))
    }

    /// Whether a request to `target` is tunnelled through the proxy with
    /// CONNECT: always for https, for http only when `tunnel` is set. SOCKS
    /// proxies always tunnel.
    pub fn tunnels(&self, target: &Target) -> bool {
        self.tunnel || target.scheme() == "https" || self.protocol.is_socks()
    }

    /// What was ignored or odd in this config's definition.
    pub fn violations(&self) -> &[Violation] {
        &self.compiled.violations
    }

    /// Whether the config applies to `target`, as Postman's
    /// `ProxyConfig.test` decides (`disabled` is not looked at: a list does
    /// that).
    pub fn applies(&self, target: &Target) -> bool {
        matches!(self.check(target), Applies::Yes)
    }

    /// Whether the config applies to `target`, and if not why not, with the
    /// list's view of `disabled`.
    pub fn check(&self, target: &Target) -> Applies<'_> {
        if self.disabled {
            return Applies::Disabled;
        }
        self.test(target)
    }

    #[inline]
    pub(crate) fn test(&self, target: &Target) -> Applies<'_> {
        if !matches!(target.scheme(), "http" | "https") {
            return Applies::NotHttp;
        }
        if let Some(bypass) = &self.compiled.bypass {
            if let Some(hit) = bypass.find(target) {
                return match hit {
                    BypassHit::Rule(rule) => Applies::Bypassed(rule.index(), rule.text()),
                    _ => Applies::Bypassed(0, ""),
                };
            }
        }
        if self.compiled.matcher.matches(target) {
            Applies::Yes
        } else {
            Applies::NoMatch
        }
    }

    fn compile(&mut self) {
        let base = self.origin.to_string();
        let mut violations = Vec::new();
        let field = |name: &str| Origin::setting(format!("{base} {name}"));
        let pattern = if self.pattern.is_empty() {
            "<all_urls>"
        } else {
            &self.pattern
        };
        let matches = bypass::postman::parse_patterns(&[pattern], field("match"));
        violations.extend(
            matches
                .violations()
                .iter()
                .map(|v| Violation::new(v.origin().clone(), None, v.text(), v.kind().clone())),
        );
        let bypass = (!self.bypass.is_empty()).then(|| {
            let texts: Vec<&str> = self
                .bypass
                .iter()
                .map(|p| {
                    if p.is_empty() {
                        "<all_urls>"
                    } else {
                        p.as_str()
                    }
                })
                .collect();
            let list = bypass::postman::parse_patterns(&texts, field("bypass"));
            violations.extend(list.violations().iter().cloned());
            list.compile()
        });
        let proxy = self.build_proxy(&base);
        if let Err(e) = &proxy {
            violations.push(Violation::from_error(e.clone()));
        }
        if self.authenticate
            && self.username.as_deref().unwrap_or("").is_empty()
            && self.password.as_deref().unwrap_or("").is_empty()
        {
            violations.push(Violation::new(
                field("authenticate"),
                None,
                "true",
                ViolationKind::Note(
                    "there is no username or password, so Postman sends no credentials",
                ),
            ));
        }
        if !self.authenticate && (self.username.is_some() || self.password.is_some()) {
            violations.push(Violation::new(
                field("authenticate"),
                None,
                "false",
                ViolationKind::Note(
                    "a username or password is set but authenticate is off, so Postman sends \
                     no credentials",
                ),
            ));
        }
        self.compiled = Compiled {
            proxy,
            matcher: matches.compile(),
            bypass,
            violations,
        };
    }

    /// The proxy `getProxyUrl()` names, as a [`Proxy`].
    fn build_proxy(&self, base: &str) -> Result<Proxy, Error> {
        let url = format!("{}://{}:{}", self.protocol, self.host, self.port);
        let origin = Origin::setting(base.to_owned());
        let port = u16::try_from(self.port)
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| Error::new(ErrorKind::InvalidPort, origin.clone(), &url))?;
        let proxy = Proxy::new(self.protocol, &self.host, port)
            .map_err(|e| Error::new(e.kind().clone(), origin, &url))?;
        if !self.authenticate {
            return Ok(proxy);
        }
        let username = self.username.as_deref().unwrap_or("");
        let password = self.password.as_deref().filter(|p| !p.is_empty());
        if username.is_empty() && password.is_none() {
            return Ok(proxy);
        }
        Ok(proxy.with_credentials(Credentials::new(username, password)))
    }

    /// A config from one JSON definition, Postman's coercions applied.
    pub(crate) fn from_value(value: &Value, origin: Origin) -> Self {
        let mut config = ProxyConfig::default_with(origin);
        let base = config.origin.to_string();
        let mut notes: Vec<Violation> = Vec::new();
        let mut note = |name: &str, text: &str, kind: ViolationKind| {
            let origin = if name.is_empty() {
                Origin::setting(base.clone())
            } else {
                Origin::setting(format!("{base} {name}"))
            };
            notes.push(Violation::new(origin, None, text, kind));
        };
        let Value::Object(members) = value else {
            note(
                "definition",
                &shown(value),
                ViolationKind::Ignored(
                    "a definition must be an object; Postman makes a config with every default \
                     (host \"\", port 8080), which matches every http and https URL",
                ),
            );
            config.compiled.violations.splice(0..0, notes);
            return config;
        };
        for (key, v) in members {
            match (key.as_str(), v) {
                ("id", Value::String(id)) => config.id = Some(id.clone()),
                ("id", _) => {}
                ("host", Value::String(text)) => {
                    let host = postman_host(text);
                    if host != text.as_str() {
                        note(
                            "host",
                            text,
                            ViolationKind::Note(
                                "Postman keeps only the host of this value: a scheme, user \
                                 info, port or path is dropped (the port comes from the port \
                                 field)",
                            ),
                        );
                    }
                    config.host = host.to_owned();
                }
                ("host", v) => note(
                    "host",
                    &shown(v),
                    ViolationKind::Ignored("must be a string; Postman ignores other values"),
                ),
                ("port", v) => match to_int32(v) {
                    0 => note(
                        "port",
                        &shown(v),
                        ViolationKind::Ignored(
                            "Postman keeps a port only when it reads as a non-zero number; the \
                             previous port stays",
                        ),
                    ),
                    port => config.port = port,
                },
                ("protocol", Value::String(p))
                    if matches!(
                        p.as_str(),
                        "http" | "socks4" | "socks4a" | "socks5" | "socks5h"
                    ) =>
                {
                    config.protocol = p.parse().unwrap_or(ProxyScheme::Http);
                }
                ("protocol", v) => note(
                    "protocol",
                    &shown(v),
                    ViolationKind::Ignored(
                        "Postman accepts only http, socks4, socks4a, socks5 or socks5h, case \
                         sensitively (it cannot speak TLS to the proxy); the previous protocol \
                         stays",
                    ),
                ),
                ("match", Value::String(p)) => config.pattern = p.clone(),
                ("match", Value::Object(_)) => match v.get("pattern") {
                    Some(Value::String(p)) => config.pattern = p.clone(),
                    _ => note(
                        "match",
                        &shown(v),
                        ViolationKind::Ignored(
                            "a match object needs a string pattern; the previous pattern stays",
                        ),
                    ),
                },
                ("match", v) => note(
                    "match",
                    &shown(v),
                    ViolationKind::Ignored(
                        "match must be a pattern string or {\"pattern\": string}; the previous \
                         pattern stays",
                    ),
                ),
                ("tunnel" | "disabled" | "authenticate", Value::Bool(b)) => match key.as_str() {
                    "tunnel" => config.tunnel = *b,
                    "disabled" => config.disabled = *b,
                    _ => config.authenticate = *b,
                },
                ("tunnel" | "disabled" | "authenticate", v) => note(
                    key,
                    &shown(v),
                    ViolationKind::Ignored("must be true or false; Postman ignores other values"),
                ),
                ("username", Value::String(u)) => config.username = Some(u.clone()),
                ("password", Value::String(p)) => config.password = Some(p.clone()),
                ("username" | "password", v) => {
                    let text = if key == "password" {
                        "***".to_owned()
                    } else {
                        shown(v)
                    };
                    note(
                        key,
                        &text,
                        ViolationKind::Ignored("must be a string; Postman ignores other values"),
                    );
                }
                ("bypass", Value::Array(items)) => {
                    config.bypass = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| match item {
                            Value::String(p) => p.clone(),
                            Value::Object(_) => match item.get("pattern") {
                                Some(Value::String(p)) if !p.is_empty() => p.clone(),
                                _ => all_urls(&mut note, i, item),
                            },
                            _ => all_urls(&mut note, i, item),
                        })
                        .collect();
                }
                ("bypass", v) => note(
                    "bypass",
                    &shown(v),
                    ViolationKind::Ignored(
                        "bypass must be an array of patterns; Postman ignores other values",
                    ),
                ),
                (other, _) => note(
                    "",
                    other,
                    ViolationKind::Ignored(
                        "not a ProxyConfig field (id, host, port, protocol, match, tunnel, \
                         disabled, authenticate, username, password, bypass); Postman ignores it",
                    ),
                ),
            }
        }
        config.compile();
        config.compiled.violations.splice(0..0, notes);
        config
    }
}

fn all_urls(
    note: &mut impl FnMut(&str, &str, ViolationKind),
    index: usize,
    item: &Value,
) -> String {
    note(
        &format!("bypass entry {index}"),
        &shown(item),
        ViolationKind::Note(
            "Postman reads an entry that is not a non-empty pattern as <all_urls>: this config \
             never applies",
        ),
    );
    "<all_urls>".to_owned()
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("id", &self.id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("protocol", &self.protocol)
            .field("match", &self.pattern)
            .field("tunnel", &self.tunnel)
            .field("disabled", &self.disabled)
            .field("authenticate", &self.authenticate)
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| format_args!("***")),
            )
            .field("bypass", &self.bypass)
            .finish()
    }
}

impl PartialEq for ProxyConfig {
    /// Two configs are equal when their definitions are: every field Postman
    /// reads (the password included), not where they were read from.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.host == other.host
            && self.port == other.port
            && self.protocol == other.protocol
            && self.pattern == other.pattern
            && self.tunnel == other.tunnel
            && self.disabled == other.disabled
            && self.authenticate == other.authenticate
            && self.username == other.username
            && self.password == other.password
            && self.bypass == other.bypass
    }
}

impl Eq for ProxyConfig {}

/// Postman's ordered list of [`ProxyConfig`]s: the first enabled config that
/// applies to a URL wins.
///
/// Lists are equal when their configs are (see [`ProxyConfig`]'s `PartialEq`).
#[derive(Clone, Debug, Default)]
pub struct ProxyConfigList {
    configs: Vec<ProxyConfig>,
    violations: Vec<Violation>,
}

impl PartialEq for ProxyConfigList {
    fn eq(&self, other: &Self) -> bool {
        self.configs == other.configs
    }
}

impl Eq for ProxyConfigList {}

impl ProxyConfigList {
    /// A list of `configs`, in order.
    pub fn new(configs: impl IntoIterator<Item = ProxyConfig>) -> Self {
        let mut configs: Vec<ProxyConfig> = configs.into_iter().collect();
        for (i, config) in configs.iter_mut().enumerate() {
            config.source = format!("custom:postman[{i}]");
        }
        let violations = configs
            .iter()
            .flat_map(|c| c.violations().iter().cloned())
            .collect();
        ProxyConfigList {
            configs,
            violations,
        }
    }

    /// Reads a JSON array of `ProxyConfig` definitions (what Postman's model
    /// takes and its `toJSON` writes). Each config's problems are reported as
    /// violations naming `origin`, the config's position and the field.
    ///
    /// ```
    /// use proxyroute::postman::ProxyConfigList;
    /// use proxyroute::Origin;
    /// let list = ProxyConfigList::from_json(
    ///     r#"[{"host": "http://proxy.corp:9090", "port": "3128", "protocol": "https"}]"#,
    ///     Origin::setting("proxies.json"),
    /// )?;
    /// // Postman keeps the host only, reads "3128" as a number, refuses https.
    /// assert_eq!(list.configs()[0].proxy().unwrap().to_string(), "http://proxy.corp:3128");
    /// let notes: Vec<String> = list.violations().iter().map(|v| v.to_string()).collect();
    /// assert_eq!(notes.len(), 2);
    /// assert!(notes[1].starts_with("proxies.json config 0 protocol \"https\": ignored"), "{notes:?}");
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidJson`] when the text is not JSON or not an array.
    /// A definition with bad fields is not an error: Postman ignores such
    /// fields, and so does this reader, saying so in a violation.
    pub fn from_json(text: &str, origin: Origin) -> Result<Self, Error> {
        let value = json::parse(text)
            .map_err(|e| Error::new(ErrorKind::InvalidJson(e.to_string()), origin.clone(), ""))?;
        let Value::Array(items) = value else {
            return Err(Error::new(
                ErrorKind::InvalidJson(format!(
                    "expected an array of ProxyConfig definitions, found {}",
                    value.type_name()
                )),
                origin,
                "",
            ));
        };
        Ok(ProxyConfigList::from_values(&items, &origin))
    }

    /// A list from JSON definitions read already (by [`json`], or by the
    /// `serde` feature from any format), Postman's coercions applied.
    pub(crate) fn from_values(items: &[Value], origin: &Origin) -> Self {
        let configs = items.iter().enumerate().map(|(i, item)| {
            ProxyConfig::from_value(item, Origin::setting(format!("{origin} config {i}")))
        });
        ProxyConfigList::new(configs)
    }

    /// The configs, in order.
    pub fn configs(&self) -> &[ProxyConfig] {
        &self.configs
    }

    /// Every config's violations, in order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// How many configs the list holds.
    pub fn len(&self) -> usize {
        self.configs.len()
    }

    /// Whether the list holds no config.
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }

    /// The first enabled config that applies to `target`, and its position.
    #[inline]
    pub fn resolve(&self, target: &Target) -> Option<(usize, &ProxyConfig)> {
        self.configs
            .iter()
            .enumerate()
            .find(|(_, c)| !c.disabled && matches!(c.test(target), Applies::Yes))
    }
}

/// The value as a violation shows it: a string as written, anything else as
/// its JSON type or value.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => format!("{n}"),
        Value::Bool(b) => b.to_string(),
        other => other.type_name().to_owned(),
    }
}

/// The host part of `text` as postman-url-encoder's parser finds it: the
/// fragment, query, scheme, path, user info and port are cut away.
fn postman_host(text: &str) -> &str {
    let mut s = text.trim_start_matches(is_js_space);
    if let Some(i) = s.find('#') {
        s = &s[..i];
    }
    if let Some(i) = s.find('?') {
        s = &s[..i];
    }
    if let Some(i) = s.find("://") {
        s = s[i + 3..].trim_start_matches(['/', '\\']);
    }
    if let Some(i) = s.find(['/', '\\']) {
        s = &s[..i];
    }
    if let Some(i) = s.rfind('@') {
        s = &s[i + 1..];
    }
    if let Some(i) = s.rfind(':') {
        if !s[i..].contains(']') {
            s = &s[..i];
        }
    }
    s
}

fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// JavaScript's `value >> 0`: ToNumber, then ToInt32.
fn to_int32(value: &Value) -> i32 {
    let n = match value {
        Value::Number(n) => *n,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::String(s) => string_to_number(s),
        Value::Array(items) => string_to_number(&array_text(items)),
        Value::Object(_) => f64::NAN,
    };
    if !n.is_finite() {
        return 0;
    }
    let wrapped = n.trunc().rem_euclid(4_294_967_296.0);
    // In range by construction: 0 <= wrapped < 2^32.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bits = wrapped as u32;
    bits.cast_signed()
}

/// `String(array)`: the items joined by commas, null as nothing.
fn array_text(items: &[Value]) -> String {
    items
        .iter()
        .map(|item| match item {
            Value::Null => String::new(),
            Value::Array(inner) => array_text(inner),
            Value::Object(_) => "[object Object]".to_owned(),
            Value::String(s) => s.clone(),
            Value::Number(n) => format!("{n}"),
            Value::Bool(b) => b.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// JavaScript's `Number(text)`.
fn string_to_number(text: &str) -> f64 {
    let t = text.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if t.len() > 2 && t.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) {
            let digits = &t[2..];
            if !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits.chars().fold(0.0, |acc, c| {
                acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
            });
        }
    }
    let (sign, rest) = match t.as_bytes()[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if rest == "Infinity" {
        return sign * f64::INFINITY;
    }
    let valid = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && rest.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !valid {
        return f64::NAN;
    }
    rest.parse::<f64>().map_or(f64::NAN, |n| sign * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_coercion_follows_javascript() {
        let rows: [(&str, i32); 17] = [
            ("9090", 9090),
            ("8080.9", 8080),
            ("\"9090\"", 9090),
            ("\" 3128 \"", 3128),
            ("\"8080abc\"", 0),
            ("\"0x1F90\"", 8080),
            ("\"1e3\"", 1000),
            ("\"\"", 0),
            ("null", 0),
            ("true", 1),
            ("[3128]", 3128),
            ("[1, 2]", 0),
            ("{}", 0),
            ("-1", -1),
            ("4294967297", 1),
            ("\"Infinity\"", 0),
            ("\"0\u{1e9}x\"", 0),
        ];
        for (json, want) in rows {
            let value = json::parse(json).unwrap();
            assert_eq!(to_int32(&value), want, "{json}");
        }
    }

    #[test]
    fn host_keeps_only_the_host() {
        let rows = [
            ("http://proxy.com", "proxy.com"),
            ("proxy.com:9090", "proxy.com"),
            ("[::1]:3128", "[::1]"),
            ("[::1]", "[::1]"),
            ("http://u:p@Proxy.COM:1/x?y#z", "Proxy.COM"),
            ("  proxy", "proxy"),
            ("http:///proxy/", "proxy"),
            ("", ""),
        ];
        for (text, want) in rows {
            assert_eq!(postman_host(text), want, "{text}");
        }
    }
}

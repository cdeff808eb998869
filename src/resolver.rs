//! [`Resolver`]: the compiled configuration, and [`ResolverBuilder`].
//!
//! Layers, first configured one deciding:
//!
//! 1. the request's own setting ([`RequestProxy`]), passed per call;
//! 2. custom proxies: one for every scheme or one per scheme, optionally limited
//!    to chosen request schemes, with their own bypass list and credentials. A
//!    request whose scheme they do not serve falls through to the next layer;
//! 3. the environment, read under the [`Dialect`];
//! 4. nothing configured: DIRECT.
//!
//! Where the dialect says so (curl), the environment's no-proxy list also
//! applies to custom proxies unless they have a bypass list of their own.

use std::ffi::{OsStr, OsString};
use std::fmt;

use crate::bypass::{BypassHit, BypassList, BypassMatcher, ImplicitBypass};
use crate::decision::{Decision, HopBuf, Layer, MatchedRule};
use crate::dialect::Dialect;
use crate::env::EnvProxies;
use crate::error::{Error, Origin, Result, Violation};
use crate::postman::ProxyConfigList;
use crate::proxy::{Credentials, Proxy};
use crate::proxy_rules::ProxyRules;
use crate::route::Route;
use crate::system::SystemProxies;
use crate::target::{Target, KNOWN_SCHEME_COUNT, SCHEME_HTTP};

#[cfg(feature = "pac")]
use crate::pac::{layer::PacLayer, PacScript};
#[cfg(feature = "pac")]
use std::sync::Arc;

/// A request's own proxy setting, which overrides every configured layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestProxy {
    /// Connect directly.
    Direct,
    /// Use this proxy.
    Proxy(Proxy),
}

/// Something a builder accepts as a proxy: a [`Proxy`], or text to parse.
pub trait IntoProxy: sealed::Sealed {
    #[doc(hidden)]
    fn into_proxy(self) -> Result<Proxy>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Proxy {}
    impl Sealed for crate::ProxyRules {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
}

/// Something [`ResolverBuilder::proxy_rules`] accepts: [`ProxyRules`] read
/// already (leniently, perhaps), or text to parse strictly.
pub trait IntoProxyRules: sealed::Sealed {
    #[doc(hidden)]
    fn into_proxy_rules(self) -> Result<ProxyRules>;
}

impl IntoProxyRules for ProxyRules {
    fn into_proxy_rules(self) -> Result<ProxyRules> {
        Ok(self)
    }
}
impl IntoProxyRules for &str {
    fn into_proxy_rules(self) -> Result<ProxyRules> {
        ProxyRules::parse(self)
    }
}
impl IntoProxyRules for String {
    fn into_proxy_rules(self) -> Result<ProxyRules> {
        ProxyRules::parse(&self)
    }
}
impl IntoProxyRules for &String {
    fn into_proxy_rules(self) -> Result<ProxyRules> {
        ProxyRules::parse(self)
    }
}

impl IntoProxy for Proxy {
    fn into_proxy(self) -> Result<Proxy> {
        Ok(self)
    }
}
impl IntoProxy for &str {
    fn into_proxy(self) -> Result<Proxy> {
        self.parse()
    }
}
impl IntoProxy for String {
    fn into_proxy(self) -> Result<Proxy> {
        self.parse()
    }
}
impl IntoProxy for &String {
    fn into_proxy(self) -> Result<Proxy> {
        self.parse()
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<OsString> + Send + Sync>;

enum EnvChoice {
    Off,
    Process,
    Vars(Vec<(OsString, OsString)>),
    Lookup(Lookup),
    Read(Box<EnvProxies>),
}

/// Builds a [`Resolver`]. Setters chain; the first error is kept and returned
/// by [`build`](ResolverBuilder::build).
///
/// ```
/// use proxyroute::{Dialect, Resolver, Target};
/// let resolver = Resolver::builder()
///     .dialect(Dialect::Curl)
///     .http_proxy("http://proxy.corp:3128")
///     .https_proxy("http://alice:s3cret@proxy.corp:3128")
///     .bypass("localhost, .internal.corp")
///     .build()?;
/// let route = resolver.resolve(&"https://api.example.com/".parse()?);
/// assert_eq!(route.to_string(), "http://alice:***@proxy.corp:3128");
/// assert!(resolver.resolve(&"https://wiki.internal.corp/".parse()?).is_direct());
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[must_use]
pub struct ResolverBuilder {
    dialect: Dialect,
    env: EnvChoice,
    all: Option<Proxy>,
    per_scheme: Vec<(String, Proxy)>,
    proxy_schemes: Option<Vec<String>>,
    bypass: Option<BypassList>,
    credentials: Option<Credentials>,
    error: Option<Error>,
    /// Sources to name instead of `custom:proxy` / `custom:<scheme>_proxy`
    /// (`None` for the proxy of every scheme), set by `proxy_rules`.
    labels: Vec<(Option<String>, String)>,
    /// Violations of configuration read leniently (proxy rules).
    violations: Vec<Violation>,
    postman: Option<ProxyConfigList>,
    system: Option<SystemProxies>,
    system_first: bool,
    #[cfg(feature = "pac")]
    pac: Option<PacScript>,
    #[cfg(feature = "pac")]
    system_pac: Option<PacScript>,
    #[cfg(feature = "pac-fetch")]
    wpad: Option<crate::pac::wpad::Wpad>,
    #[cfg(feature = "pac")]
    pac_failure_direct: bool,
    #[cfg(feature = "pac")]
    pac_fetcher: crate::pac::fetch::Fetcher,
}

impl fmt::Debug for ResolverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env = match &self.env {
            EnvChoice::Off => "off",
            EnvChoice::Process => "process",
            EnvChoice::Vars(_) => "vars",
            EnvChoice::Lookup(_) => "lookup",
            EnvChoice::Read(_) => "read",
        };
        f.debug_struct("ResolverBuilder")
            .field("dialect", &self.dialect)
            .field("env", &env)
            .field("all", &self.all)
            .field("per_scheme", &self.per_scheme)
            .field("proxy_schemes", &self.proxy_schemes)
            .field("bypass", &self.bypass)
            .field("credentials", &self.credentials)
            .field("postman", &self.postman)
            .field("error", &self.error)
            .finish()
    }
}

impl ResolverBuilder {
    fn new() -> Self {
        ResolverBuilder {
            dialect: Dialect::default(),
            env: EnvChoice::Off,
            all: None,
            per_scheme: Vec::new(),
            proxy_schemes: None,
            bypass: None,
            credentials: None,
            error: None,
            labels: Vec::new(),
            violations: Vec::new(),
            postman: None,
            system: None,
            system_first: false,
            #[cfg(feature = "pac")]
            pac: None,
            #[cfg(feature = "pac")]
            system_pac: None,
            #[cfg(feature = "pac-fetch")]
            wpad: None,
            #[cfg(feature = "pac")]
            pac_failure_direct: false,
            #[cfg(feature = "pac")]
            pac_fetcher: crate::pac::fetch::Fetcher::new(),
        }
    }

    /// Records `error` as the builder's first error, unless one came before.
    pub(crate) fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    fn keep<T>(&mut self, result: Result<T>, setting: &str) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e.with_origin(Origin::setting(setting)));
                }
                None
            }
        }
    }

    /// The dialect for environment variables and the bypass list's syntax
    /// (default: curl).
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Reads the process environment when building (every variable is
    /// listed; see [`EnvProxies::read_vars`]).
    pub fn env(mut self) -> Self {
        self.env = EnvChoice::Process;
        self
    }

    /// Reads these `(name, value)` pairs as the environment when building.
    /// Unlike [`env_with`](ResolverBuilder::env_with), the names are known,
    /// so `<scheme>_proxy` is followed for schemes the crate does not know
    /// by name where the dialect's tool does that.
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.env = EnvChoice::Vars(
            vars.into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        );
        self
    }

    /// Reads the environment through `lookup` when building (a variable's name
    /// to its value, `None` when unset).
    pub fn env_with<F, V>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<V> + Send + Sync + 'static,
        V: AsRef<OsStr>,
    {
        self.env = EnvChoice::Lookup(Box::new(move |name| {
            lookup(name).map(|v| v.as_ref().to_owned())
        }));
        self
    }

    /// Uses environment settings read already.
    pub fn env_proxies(mut self, env: EnvProxies) -> Self {
        self.env = EnvChoice::Read(Box::new(env));
        self
    }

    /// Ignores the environment (the default for a builder).
    pub fn no_env(mut self) -> Self {
        self.env = EnvChoice::Off;
        self
    }

    /// One proxy for every request scheme (or those chosen with
    /// [`proxy_schemes`](ResolverBuilder::proxy_schemes)).
    pub fn proxy(mut self, proxy: impl IntoProxy) -> Self {
        if let Some(p) = self.keep(proxy.into_proxy(), "proxy") {
            self.all = Some(p);
            self.labels.retain(|(scheme, _)| scheme.is_some());
        }
        self
    }

    /// The proxy for `http` requests.
    pub fn http_proxy(self, proxy: impl IntoProxy) -> Self {
        self.scheme_proxy("http", proxy)
    }

    /// The proxy for `https` requests.
    pub fn https_proxy(self, proxy: impl IntoProxy) -> Self {
        self.scheme_proxy("https", proxy)
    }

    /// The proxy for requests of `scheme` (`ws`, `ftp`, ...).
    pub fn scheme_proxy(mut self, scheme: &str, proxy: impl IntoProxy) -> Self {
        let scheme = scheme.to_ascii_lowercase();
        if let Some(p) = self.keep(proxy.into_proxy(), &format!("{scheme}_proxy")) {
            self.per_scheme.retain(|(s, _)| *s != scheme);
            self.labels
                .retain(|(s, _)| s.as_deref() != Some(scheme.as_str()));
            self.per_scheme.push((scheme, p));
        }
        self
    }

    /// The custom proxies as manual proxy rules say (Windows' `ProxyServer`,
    /// Chromium's `--proxy-server`; see [`ProxyRules`]): one proxy for every
    /// scheme, or `http=`, `https=` and `ftp=` for those request schemes and
    /// `socks=` for every scheme without an entry of its own. WebSocket
    /// requests use `socks=`, else `https=`, else `http=`. This replaces the
    /// custom proxies set before; later [`proxy`](ResolverBuilder::proxy) and
    /// [`scheme_proxy`](ResolverBuilder::scheme_proxy) calls override it.
    ///
    /// Text is parsed strictly; pass [`ProxyRules::parse_lenient`]'s result to
    /// keep going past bad entries (its violations join the resolver's).
    ///
    /// ```
    /// use proxyroute::Resolver;
    /// let resolver = Resolver::builder()
    ///     .proxy_rules("http=proxy:3128;https=proxy:3128;socks=socks:1080")
    ///     .build()?;
    /// let route = resolver.resolve(&"https://example.com/".parse()?);
    /// assert_eq!(route.to_string(), "http://proxy:3128");
    /// let why = resolver.explain(&"ftp://files.example.com/".parse()?);
    /// assert_eq!(why.source(), "custom:proxy-rules socks=");
    /// assert_eq!(why.route().to_string(), "socks4://socks:1080");
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn proxy_rules(mut self, rules: impl IntoProxyRules) -> Self {
        let Some(rules) = self.keep(rules.into_proxy_rules(), "proxy_rules") else {
            return self;
        };
        self.all = None;
        self.per_scheme.clear();
        self.labels.clear();
        self.violations = rules.violations().to_vec();
        if let Some(single) = rules.single() {
            self.all = Some(single.clone());
            self.labels.push((None, "custom:proxy-rules".to_owned()));
            return self;
        }
        if let Some(socks) = rules.fallback() {
            self.all = Some(socks.clone());
            self.labels
                .push((None, "custom:proxy-rules socks=".to_owned()));
        }
        for key in ["http", "https", "ftp"] {
            if let Some(p) = rules.get(key) {
                self.per_scheme.push((key.to_owned(), p.clone()));
                self.labels
                    .push((Some(key.to_owned()), format!("custom:proxy-rules {key}=")));
            }
        }
        if rules.fallback().is_none() {
            let ws = ["https", "http"]
                .into_iter()
                .find_map(|key| rules.get(key).map(|p| (key, p)));
            if let Some((key, p)) = ws {
                for scheme in ["ws", "wss"] {
                    self.per_scheme.push((scheme.to_owned(), p.clone()));
                    self.labels.push((
                        Some(scheme.to_owned()),
                        format!("custom:proxy-rules {key}="),
                    ));
                }
            }
        }
        self
    }

    /// Limits the [`proxy`](ResolverBuilder::proxy) for every scheme to these
    /// request schemes, as Postman's "HTTP / HTTPS" choice does; other schemes
    /// fall through to the next layer.
    pub fn proxy_schemes<I, S>(mut self, schemes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.proxy_schemes = Some(
            schemes
                .into_iter()
                .map(|s| s.as_ref().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// The bypass list for the custom proxies, read strictly in the dialect's
    /// `NO_PROXY` syntax: an entry that cannot be read or can never match is an
    /// error. It replaces the environment's list for them.
    pub fn bypass(mut self, list: &str) -> Self {
        let list = BypassList::parse_strict(list, self.dialect, Origin::setting("bypass"));
        if let Some(list) = self.keep(list, "bypass") {
            self.bypass = Some(list);
        }
        self
    }

    /// A bypass list parsed already (leniently, perhaps, with its violations).
    pub fn bypass_list(mut self, list: BypassList) -> Self {
        self.bypass = Some(list);
        self
    }

    /// Credentials for the custom proxies that carry none of their own.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Postman's custom proxy list, tried before the other custom proxies: the
    /// first enabled config that applies to a URL gives its proxy; when none
    /// applies the request goes on to the next layer (Postman's order: custom,
    /// system, environment, direct). See [`postman`](crate::postman).
    pub fn postman_configs(mut self, configs: ProxyConfigList) -> Self {
        self.postman = Some(configs);
        self
    }

    /// The operating system's proxy settings (see [`system`](crate::system)),
    /// as a layer below the environment: they decide for a scheme that no
    /// proxy variable serves (or for every request when the environment is
    /// not read).
    pub fn system(mut self, settings: SystemProxies) -> Self {
        self.system = Some(settings);
        self
    }

    /// A PAC script that decides every request the custom layer's explicit
    /// proxies do not serve (a configured "automatic proxy configuration
    /// URL"). Its answers are full routes, every hop in order; a script that
    /// fails gives a refused route naming the failure.
    ///
    /// ```
    /// # #[cfg(feature = "pac")] {
    /// use proxyroute::{pac::PacScript, Resolver};
    /// let script = PacScript::new(r#"function FindProxyForURL(url, host) {
    ///     return isPlainHostName(host) ? "DIRECT" : "PROXY a.corp:3128; SOCKS5 b.corp:1080";
    /// }"#)?;
    /// let resolver = Resolver::builder().pac(script).build()?;
    /// let route = resolver.resolve(&"https://example.com/".parse()?);
    /// assert_eq!(route.to_string(), "http://a.corp:3128; socks5://b.corp:1080");
    /// assert!(resolver.resolve(&"http://intranet/".parse()?).is_direct());
    /// # }
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    #[cfg(feature = "pac")]
    pub fn pac(mut self, script: PacScript) -> Self {
        self.pac = Some(script);
        self
    }

    /// The script for the system settings' PAC URL, fetched already. Without
    /// it, [`Resolver::load`] fetches the URL the settings name (`file://`
    /// and paths; `http(s)://` with the `pac-fetch` feature) and loads it;
    /// [`build`](ResolverBuilder::build) never does. Until then, and after a
    /// failure there, every route of the system layer is refused with the
    /// reason.
    #[cfg(feature = "pac")]
    pub fn system_pac(mut self, script: PacScript) -> Self {
        self.system_pac = Some(script);
        self
    }

    /// How to search for a script when the system settings say "detect
    /// automatically" (default: [`Wpad::new`](crate::pac::wpad::Wpad::new),
    /// the name `wpad` through the OS resolver). The search runs in
    /// [`Resolver::load`], never in [`build`](ResolverBuilder::build);
    /// finding nothing refuses every route of the system layer with what
    /// each name gave.
    #[cfg(feature = "pac-fetch")]
    pub fn wpad(mut self, search: crate::pac::wpad::Wpad) -> Self {
        self.wpad = Some(search);
        self
    }

    /// How [`Resolver::load`] fetches the system settings' PAC URL (default
    /// [`Fetcher::new`](crate::pac::fetch::Fetcher::new): 3 attempts of up
    /// to 10 s each, with pauses of 250 and 500 ms).
    #[cfg(feature = "pac")]
    pub fn pac_fetcher(mut self, fetcher: crate::pac::fetch::Fetcher) -> Self {
        self.pac_fetcher = fetcher;
        self
    }

    /// Whether a PAC script that cannot be fetched, loaded or run sends the
    /// request directly, as browsers do, instead of refusing the route (the
    /// default). The failure stays visible: `explain` names it and lists it
    /// among the violations.
    #[cfg(feature = "pac")]
    pub fn pac_failure_direct(mut self, direct: bool) -> Self {
        self.pac_failure_direct = direct;
        self
    }

    /// Puts the system layer above the environment, as Postman does when it
    /// uses the system proxy.
    pub fn system_first(mut self, first: bool) -> Self {
        self.system_first = first;
        self
    }

    /// Compiles the configuration. Touches no network and reads no file
    /// (but those the environment or the settings were read from already):
    /// a PAC script the system settings name by URL, or that WPAD would
    /// find, is fetched and loaded by [`Resolver::load`].
    ///
    /// # Errors
    ///
    /// The first error a setter met (a proxy that does not parse, a bypass entry
    /// that cannot match), naming the setting and the text.
    pub fn build(self) -> Result<Resolver> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let dialect = self.dialect;
        let env = match self.env {
            EnvChoice::Off => None,
            EnvChoice::Process => Some(EnvProxies::from_env(dialect)),
            EnvChoice::Vars(vars) => Some(EnvProxies::read_vars(dialect, vars)),
            EnvChoice::Lookup(lookup) => Some(EnvProxies::read(dialect, lookup)),
            EnvChoice::Read(env) => Some(*env),
        };
        let env = env.map(|env| {
            let source = match env.no_proxy_variable() {
                Some(var) => format!("env:{var}"),
                None => format!("implicit:{dialect}"),
            };
            EnvLayer {
                bypass: env.no_proxy.compile(),
                bypass_source: source,
                configured: env.is_configured(),
                env,
            }
        });
        let mut violations = self.violations;
        if let Some(list) = &self.postman {
            violations.extend(list.violations().iter().cloned());
        }
        #[cfg(feature = "pac")]
        let mut system_pac = self.system_pac;
        #[cfg(feature = "pac")]
        let pac_fetcher = self.pac_fetcher;
        #[cfg(feature = "pac-fetch")]
        let mut wpad = self.wpad;
        let system = self.system.map(|settings| {
            violations.extend(settings.violations().iter().cloned());
            SystemLayer {
                bypass: settings
                    .bypass_source()
                    .map(|(list, source)| (list.compile(), source.to_owned())),
                #[cfg(feature = "pac")]
                pac: system_pac_layer(
                    &settings,
                    system_pac.take(),
                    pac_fetcher.clone(),
                    #[cfg(feature = "pac-fetch")]
                    wpad.take(),
                )
                .map(|mut layer| {
                    layer.failure_direct = self.pac_failure_direct;
                    Arc::new(layer)
                }),
                settings,
            }
        });
        let custom = CustomLayer::new(
            self.all,
            self.per_scheme,
            self.proxy_schemes,
            self.bypass,
            self.credentials,
            dialect.spec().no_proxy_applies_to_custom && env.is_some(),
            &self.labels,
        );
        if let Some(c) = &custom {
            if let Some((list, _)) = &c.bypass {
                violations.extend(list.list().violations().iter().cloned());
            }
        }
        if let Some(e) = &env {
            violations.extend(e.env.violations().iter().cloned());
        }
        #[cfg(feature = "pac")]
        let custom_pac = self.pac.map(|script| {
            let mut layer = PacLayer::new(
                "custom:pac".to_owned(),
                "(a script given to the builder)".to_owned(),
                Ok(script),
            );
            layer.failure_direct = self.pac_failure_direct;
            Arc::new(layer)
        });
        Ok(Resolver {
            dialect,
            system,
            #[cfg(feature = "pac")]
            pac: custom_pac,
            system_first: self.system_first,
            postman: self.postman,
            custom,
            env,
            violations,
        })
    }
}

#[derive(Debug, Clone)]
struct CustomLayer {
    proxies: Vec<(Proxy, String)>,
    /// A proxy index per known scheme, then one for other schemes.
    slots: Vec<Option<usize>>,
    /// Per-scheme proxies for schemes the crate does not know by name.
    named: Vec<(String, usize)>,
    bypass: Option<(BypassMatcher, String)>,
    use_env_bypass: bool,
}

impl CustomLayer {
    fn new(
        all: Option<Proxy>,
        per_scheme: Vec<(String, Proxy)>,
        schemes: Option<Vec<String>>,
        bypass: Option<BypassList>,
        credentials: Option<Credentials>,
        use_env_bypass: bool,
        labels: &[(Option<String>, String)],
    ) -> Option<Self> {
        if all.is_none() && per_scheme.is_empty() {
            return None;
        }
        let with_creds = |p: Proxy| match (&credentials, p.credentials()) {
            (Some(c), None) => p.with_credentials(c.clone()),
            _ => p,
        };
        let label = |scheme: Option<&str>, default: String| {
            labels
                .iter()
                .find(|(s, _)| s.as_deref() == scheme)
                .map_or(default, |(_, l)| l.clone())
        };
        let known = crate::target::known_schemes();
        let mut proxies = Vec::new();
        let mut slots = vec![None; KNOWN_SCHEME_COUNT + 1];
        let mut named = Vec::new();
        if let Some(p) = all {
            proxies.push((with_creds(p), label(None, "custom:proxy".to_owned())));
            for (i, slot) in slots.iter_mut().enumerate() {
                let name = known.get(i).copied();
                let chosen = match (&schemes, name) {
                    (None, _) => true,
                    (Some(list), Some(name)) => list.iter().any(|s| s == name),
                    (Some(_), None) => false,
                };
                if chosen {
                    *slot = Some(0);
                }
            }
            if let Some(list) = &schemes {
                for s in list.iter().filter(|s| !known.contains(&s.as_str())) {
                    named.push((s.clone(), 0));
                }
            }
        }
        for (scheme, p) in per_scheme {
            let index = proxies.len();
            let source = label(Some(&scheme), format!("custom:{scheme}_proxy"));
            proxies.push((with_creds(p), source));
            match known.iter().position(|k| *k == scheme) {
                Some(i) => slots[i] = Some(index),
                None => {
                    named.retain(|(s, _)| *s != scheme);
                    named.push((scheme, index));
                }
            }
        }
        let bypass = bypass.map(|list| (list.compile(), "custom:bypass".to_owned()));
        Some(CustomLayer {
            proxies,
            slots,
            named,
            use_env_bypass: use_env_bypass && bypass.is_none(),
            bypass,
        })
    }

    fn slot(&self, target: &Target) -> Option<usize> {
        match target.scheme_index() {
            Some(i) => self.slots[usize::from(i)],
            None => self
                .named
                .iter()
                .find(|(s, _)| s == target.scheme())
                .map(|(_, i)| *i)
                .or(self.slots[KNOWN_SCHEME_COUNT]),
        }
    }
}

#[derive(Debug, Clone)]
struct SystemLayer {
    settings: SystemProxies,
    bypass: Option<(BypassMatcher, String)>,
    /// The script the settings' PAC URL names, loaded (or why it is not).
    #[cfg(feature = "pac")]
    pac: Option<Arc<PacLayer>>,
}

/// The PAC layer for system settings in auto-config or auto-detect mode:
/// `script` if the caller fetched it, else a layer that
/// [`Resolver::load`] fetches (the URL) or discovers (WPAD). Nothing is
/// fetched here.
#[cfg(feature = "pac")]
fn system_pac_layer(
    settings: &SystemProxies,
    script: Option<PacScript>,
    fetcher: crate::pac::fetch::Fetcher,
    #[cfg(feature = "pac-fetch")] wpad: Option<crate::pac::wpad::Wpad>,
) -> Option<PacLayer> {
    use crate::pac::layer::Pending;
    use crate::system::SystemMode;
    #[cfg(feature = "pac-fetch")]
    if *settings.mode() == SystemMode::AutoDetect {
        let source = format!("system:{} auto-detect", settings.store());
        return Some(match script {
            Some(script) => PacLayer::new(source, "(a script given for WPAD)".into(), Ok(script)),
            None => PacLayer::pending(source, Some(Pending::Wpad(wpad.unwrap_or_default()))),
        });
    }
    let SystemMode::AutoConfig(url) = settings.mode() else {
        return None;
    };
    let source = settings
        .pac_error()
        .map(|e| match e.origin() {
            Origin::Setting(s) => s.clone(),
            _ => format!("system:{}", settings.store()),
        })
        .unwrap_or_else(|| format!("system:{}", settings.store()));
    Some(match script {
        Some(script) => PacLayer::new(source, crate::error::redact(url), Ok(script)),
        None => PacLayer::pending(
            source,
            Some(Pending::Url {
                url: url.clone(),
                fetcher,
            }),
        ),
    })
}

#[derive(Debug, Clone)]
struct EnvLayer {
    env: EnvProxies,
    bypass: BypassMatcher,
    bypass_source: String,
    configured: bool,
}

/// Why a route was chosen, borrowed from the resolver: what `resolve` and
/// `explain` share, so that they cannot disagree.
enum Verdict<'a> {
    Request(&'a RequestProxy),
    Proxy {
        layer: Layer,
        proxy: &'a Proxy,
        source: &'a str,
    },
    Bypass {
        layer: Layer,
        hit: BypassHit<'a>,
        list_source: &'a str,
        proxy_source: &'a str,
    },
    Refused {
        layer: Layer,
        error: &'a Error,
    },
    /// A PAC script decides; asked only when the route is wanted.
    #[cfg(feature = "pac")]
    Pac {
        layer: Layer,
        pac: &'a PacLayer,
    },
    Unserved,
    Nothing,
}

impl<'a> Verdict<'a> {
    #[inline]
    fn route(&self, #[allow(unused_variables)] target: &Target) -> Route<'a> {
        match *self {
            Verdict::Request(RequestProxy::Proxy(p)) | Verdict::Proxy { proxy: p, .. } => {
                Route::via(p)
            }
            Verdict::Refused { error, .. } => Route::refused(error),
            #[cfg(feature = "pac")]
            Verdict::Pac { pac, .. } => pac.route(target),
            _ => Route::DIRECT,
        }
    }
}

/// The compiled proxy configuration: built once, shared freely (`Send + Sync`),
/// asked for every request.
///
/// [`resolve`](Resolver::resolve) is the hot path: it allocates nothing and its
/// cost does not grow with the bypass list. [`explain`](Resolver::explain) gives
/// the same route with the reason.
///
/// ```
/// use proxyroute::{Dialect, Resolver, Target};
/// let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*.internal")];
/// let resolver = Resolver::from_env_with(Dialect::Go, proxyroute::env::lookup_in(&vars));
/// let target: Target = "https://api.example.com/v1".parse()?;
/// assert_eq!(resolver.resolve(&target).to_string(), "http://proxy:3128");
/// let why = resolver.explain(&"https://db.internal/".parse()?);
/// assert!(why.route().is_direct());
/// assert_eq!(why.source(), "env:NO_PROXY");
/// assert_eq!(why.rule().unwrap().text(), "*.internal");
/// // Go never proxies loopback addresses.
/// assert!(resolver.resolve(&"https://127.0.0.1:8443/".parse()?).is_direct());
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resolver {
    dialect: Dialect,
    system: Option<SystemLayer>,
    system_first: bool,
    postman: Option<ProxyConfigList>,
    custom: Option<CustomLayer>,
    #[cfg(feature = "pac")]
    pac: Option<Arc<PacLayer>>,
    env: Option<EnvLayer>,
    violations: Vec<Violation>,
}

impl Resolver {
    /// A builder, with no layer configured and the curl dialect.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder::new()
    }

    /// The process environment under the default dialect (curl).
    pub fn from_env() -> Self {
        let dialect = Dialect::default();
        Resolver::builder()
            .dialect(dialect)
            .env_proxies(EnvProxies::from_env(dialect))
            .build()
            .expect("an environment-only configuration has no strict settings to fail")
    }

    /// The environment seen through `lookup`, under `dialect`.
    pub fn from_env_with<F, V>(dialect: Dialect, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<V>,
        V: AsRef<OsStr>,
    {
        Resolver::builder()
            .dialect(dialect)
            .env_proxies(EnvProxies::read(dialect, lookup))
            .build()
            .expect("an environment-only configuration has no strict settings to fail")
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Every problem met while reading the configuration.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The environment as read, if the environment layer is on.
    pub fn env(&self) -> Option<&EnvProxies> {
        self.env.as_ref().map(|e| &e.env)
    }

    /// Where `target` goes. Allocates nothing, except where a PAC script
    /// decides (feature `pac`): then the script (or its cache) is asked,
    /// and the route holds the answer's hops, shared with the cache. A PAC
    /// layer whose script is not loaded yet ([`load`](Resolver::load))
    /// gives a refused route saying so.
    #[must_use]
    pub fn resolve(&self, target: &Target) -> Route<'_> {
        self.verdict(target, None).route(target)
    }

    /// Fetches and loads the PAC scripts that the system settings name by
    /// URL or that WPAD finds (feature `pac`): the one step that touches the
    /// network, so that [`build`](ResolverBuilder::build) never does. It
    /// blocks for the fetch (the [`pac_fetcher`](ResolverBuilder::pac_fetcher)'s
    /// attempts, each within its timeout: by default up to 3 × 10 s plus
    /// 0.75 s of pauses) and the script's load budget
    /// ([`PacLimits::load`](crate::pac::PacLimits::load), 2 s); on an async
    /// runtime use [`load_async`](Resolver::load_async). Until it has run,
    /// those layers refuse their routes with an error saying the script is
    /// not loaded; after a failure, with the failure.
    ///
    /// Loading happens once: later calls (and clones of the resolver, which
    /// share the layers) return the first outcome at once. Without such a
    /// layer it does nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`](crate::ErrorKind::Pac): the script could not be
    /// fetched, found or loaded (the first such failure).
    #[cfg(feature = "pac")]
    pub fn load(&self) -> Result<()> {
        let mut first = Ok(());
        for layer in self.pac_layers() {
            if let Err(e) = layer.load() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// [`load`](Resolver::load) on a thread of its own, for callers on an
    /// async runtime: the future completes when loading is done, without
    /// blocking the executor (any executor: it is woken from that thread).
    /// Dropping the future does not stop the load.
    ///
    /// # Errors
    ///
    /// As [`load`](Resolver::load); also when the thread cannot be started.
    #[cfg(feature = "pac")]
    pub fn load_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let layers: Vec<Arc<PacLayer>> = self.pac_layers().cloned().collect();
        crate::pac::oneshot::spawn("proxyroute-pac-load", move || {
            let mut first = Ok(());
            for layer in &layers {
                if let Err(e) = layer.load() {
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
            first
        })
    }

    /// Whether every PAC layer's script is loaded (or failed to load);
    /// `true` without PAC layers.
    #[cfg(feature = "pac")]
    pub fn is_loaded(&self) -> bool {
        self.pac_layers().all(|l| l.is_loaded())
    }

    #[cfg(feature = "pac")]
    fn pac_layers(&self) -> impl Iterator<Item = &Arc<PacLayer>> {
        self.pac
            .iter()
            .chain(self.system.iter().filter_map(|s| s.pac.as_ref()))
    }

    /// [`resolve`](Resolver::resolve) for callers on an async executor:
    /// the same route, without blocking the calling thread. Every layer but
    /// a PAC script answers at once (the future is ready), as does a PAC
    /// answer in the script's cache; otherwise the script runs on one of a
    /// fixed set of the crate's threads (4, with at most 1,024 evaluations
    /// waiting; past that the route is refused), which wakes the future when
    /// the answer is there. Works on any executor: the crate depends on no
    /// async runtime.
    ///
    /// ```
    /// # #[cfg(feature = "pac")] {
    /// # use proxyroute::{pac::PacScript, Resolver};
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } }
    /// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// let script = PacScript::new("function FindProxyForURL(u, h) { return 'PROXY p.corp:3128'; }")?;
    /// let resolver = Resolver::builder().pac(script).build()?;
    /// let route = block_on(resolver.resolve_async(&"https://example.com/".parse()?));
    /// assert_eq!(route.to_string(), "http://p.corp:3128");
    /// # }
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn resolve_async(&self, target: &Target) -> crate::route::RouteFuture<'_> {
        match self.verdict(target, None) {
            #[cfg(feature = "pac")]
            Verdict::Pac { pac, .. } => pac.route_async(target),
            verdict => crate::route::RouteFuture::ready(verdict.route(target)),
        }
    }

    /// Where `target` goes when the request carries its own setting.
    #[must_use]
    pub fn resolve_with<'a>(&'a self, target: &Target, request: &'a RequestProxy) -> Route<'a> {
        self.verdict(target, Some(request)).route(target)
    }

    /// Where `target` goes, and why.
    pub fn explain(&self, target: &Target) -> Decision {
        self.decision(target, None)
    }

    /// Where `target` goes when the request carries its own setting, and why.
    pub fn explain_with(&self, target: &Target, request: &RequestProxy) -> Decision {
        self.decision(target, Some(request))
    }

    #[inline(always)]
    fn verdict<'a>(&'a self, target: &Target, request: Option<&'a RequestProxy>) -> Verdict<'a> {
        if let Some(request) = request {
            return Verdict::Request(request);
        }
        if let Some(list) = &self.postman {
            if let Some((_, config)) = list.resolve(target) {
                return match config.proxy() {
                    Ok(proxy) => Verdict::Proxy {
                        layer: Layer::Custom,
                        proxy,
                        source: &config.source,
                    },
                    Err(error) => Verdict::Refused {
                        layer: Layer::Custom,
                        error,
                    },
                };
            }
        }
        if let Some(custom) = &self.custom {
            if let Some(i) = custom.slot(target) {
                let (proxy, source) = &custom.proxies[i];
                let bypass = match (&custom.bypass, &self.env) {
                    (Some((m, s)), _) => Some((m, s.as_str())),
                    (None, Some(env)) if custom.use_env_bypass => {
                        Some((&env.bypass, env.bypass_source.as_str()))
                    }
                    _ => None,
                };
                if let Some((matcher, list_source)) = bypass {
                    if let Some(hit) = matcher.find(target) {
                        return Verdict::Bypass {
                            layer: Layer::Custom,
                            hit,
                            list_source,
                            proxy_source: source,
                        };
                    }
                }
                return Verdict::Proxy {
                    layer: Layer::Custom,
                    proxy,
                    source,
                };
            }
        }
        #[cfg(feature = "pac")]
        if let Some(pac) = &self.pac {
            return Verdict::Pac {
                layer: Layer::Custom,
                pac,
            };
        }
        if self.system_first {
            if let Some(v) = self.system_verdict(target) {
                return v;
            }
        }
        if let Some(env) = self.env.as_ref().filter(|e| e.configured) {
            if let Some(error) = &env.env.pac {
                return Verdict::Refused {
                    layer: Layer::Environment,
                    error,
                };
            }
            let slot = match target.scheme_index() {
                Some(index) => env.env.slots[usize::from(index)].as_ref(),
                None => env.env.other_slot(target.scheme()),
            };
            let Some(slot) = slot else {
                if !self.system_first {
                    if let Some(v) = self.system_verdict(target) {
                        return v;
                    }
                }
                return Verdict::Unserved;
            };
            // Go refuses an HTTP proxy in CGI before it looks at NO_PROXY.
            if let (Some(error), Ok(_)) = (&env.env.cgi_refusal, &slot.proxy) {
                if target.scheme_index() == Some(SCHEME_HTTP) {
                    return Verdict::Refused {
                        layer: Layer::Environment,
                        error,
                    };
                }
            }
            if let Some(hit) = env.bypass.find(target) {
                return Verdict::Bypass {
                    layer: Layer::Environment,
                    hit,
                    list_source: &env.bypass_source,
                    proxy_source: &slot.var,
                };
            }
            return match &slot.proxy {
                Err(error) => Verdict::Refused {
                    layer: Layer::Environment,
                    error,
                },
                Ok(proxy) => Verdict::Proxy {
                    layer: Layer::Environment,
                    proxy,
                    source: &slot.var,
                },
            };
        }
        if !self.system_first {
            if let Some(v) = self.system_verdict(target) {
                return v;
            }
        }
        Verdict::Nothing
    }

    /// The system layer's verdict, if it has one for `target`.
    #[inline]
    fn system_verdict<'a>(&'a self, target: &Target) -> Option<Verdict<'a>> {
        let system = self.system.as_ref()?;
        #[cfg(feature = "pac")]
        if let Some(pac) = &system.pac {
            return Some(Verdict::Pac {
                layer: Layer::System,
                pac,
            });
        }
        if let Some(error) = system.settings.pac_error() {
            return Some(Verdict::Refused {
                layer: Layer::System,
                error,
            });
        }
        let (proxy, source) = system.settings.manual_proxy(target)?;
        if let Some((matcher, list_source)) = &system.bypass {
            if let Some(hit) = matcher.find(target) {
                return Some(Verdict::Bypass {
                    layer: Layer::System,
                    hit,
                    list_source,
                    proxy_source: source,
                });
            }
        }
        Some(Verdict::Proxy {
            layer: Layer::System,
            proxy,
            source,
        })
    }

    fn decision(&self, target: &Target, request: Option<&RequestProxy>) -> Decision {
        let verdict = self.verdict(target, request);
        #[cfg(feature = "pac")]
        if let Verdict::Pac { layer, pac } = verdict {
            return self.pac_decision(target, layer, pac);
        }
        let route = verdict.route(target);
        let tool = self.dialect.tool();
        let host = target.host();
        let scheme = target.scheme();
        let mut rule = None;
        let (layer, source, reason) = match verdict {
            Verdict::Request(RequestProxy::Direct) => (
                Layer::Request,
                "request".to_owned(),
                "the request asks for a direct connection, overriding every configured proxy".to_owned(),
            ),
            Verdict::Request(RequestProxy::Proxy(p)) => (
                Layer::Request,
                "request".to_owned(),
                format!("the request carries its own proxy, {p}, overriding every configured layer"),
            ),
            Verdict::Proxy { layer, proxy, source } => {
                let source = qualified(layer, source);
                let postman = self
                    .postman
                    .as_ref()
                    .and_then(|list| list.resolve(target))
                    .filter(|(_, c)| c.source == source);
                let reason = match (layer, postman) {
                    (Layer::Custom, Some((i, config))) => format!(
                        "Postman config {i} is the first enabled config that applies to {scheme} \
                         URLs on {host} (match {:?}), so the request goes through {proxy}{}",
                        config.match_pattern(),
                        if config.tunnels(target) {
                            " in a CONNECT tunnel"
                        } else {
                            " as a forward proxy (tunnel is off for http)"
                        }
                    ),
                    (Layer::System, _) => format!(
                        "the {} proxy settings (manual) give {source} for {scheme} URLs; no entry of \
                         the bypass list matches {host}",
                        self.system.as_ref().map_or("system", |s| s.settings.store().as_str())
                    ),
                    (Layer::Custom, None) => format!(
                        "{scheme} requests use the configured proxy {proxy}; no bypass entry matches {host}"
                    ),
                    _ => format!(
                        "{tool} reads {} for {scheme} URLs; no {} entry matches {host}",
                        source.trim_start_matches("env:"),
                        self.no_proxy_name()
                    ),
                };
                (layer, source, reason)
            }
            Verdict::Bypass {
                layer,
                hit,
                list_source,
                proxy_source,
            } => {
                let proxy_source = qualified(layer, proxy_source);
                // A custom list in another tool's syntax speaks for that tool.
                let matcher = match layer {
                    Layer::Custom => self.custom.as_ref().and_then(|c| c.bypass.as_ref()),
                    Layer::System => self.system.as_ref().and_then(|s| s.bypass.as_ref()),
                    _ => None,
                };
                let syntax = matcher.filter(|(_, s)| s == list_source).and_then(|(m, _)| {
                    let list = m.list();
                    list.syntax().tool().map(|tool| (tool, list.syntax(), list.implicit()))
                });
                let (tool, implicit_source, implicit) = match syntax {
                    Some((tool, syntax, implicit)) => (tool, format!("implicit:{syntax}"), implicit),
                    None => (tool, format!("implicit:{}", self.dialect), self.implicit()),
                };
                let list_name = match syntax {
                    Some((_, syntax, _)) => format!("{list_source} ({syntax} syntax)"),
                    None => list_source.to_owned(),
                };
                let (matched, reason) = match hit {
                    BypassHit::Rule(r) => (
                        MatchedRule {
                            text: r.text().to_owned(),
                            index: Some(r.index()),
                            source: list_source.to_owned(),
                        },
                        format!(
                            "{host} matches entry {} {:?} of {list_name}, so {tool} connects directly \
                             instead of using {proxy_source}",
                            r.index(),
                            r.text()
                        ),
                    ),
                    BypassHit::NotListed => (
                        MatchedRule {
                            text: "(not listed)".to_owned(),
                            index: None,
                            source: list_source.to_owned(),
                        },
                        format!(
                            "{list_name} is reversed: it names the hosts that use the proxy, and \
                             {host} is not among them, so the request goes directly"
                        ),
                    ),
                    BypassHit::Implicit(why) => (
                        MatchedRule {
                            text: why.to_owned(),
                            index: None,
                            source: implicit_source,
                        },
                        format!(
                            "{tool} never proxies {}: {host} is a {why}, whatever {} says{}",
                            match implicit {
                                ImplicitBypass::LocalAndLinkLocal
                                | ImplicitBypass::WinInet => "localhost, loopback or link-local hosts",
                                ImplicitBypass::Macos => "localhost, loopback or IPv4 link-local hosts",
                                _ => "localhost or loopback hosts",
                            },
                            if syntax.is_some() { list_name.as_str() } else { self.no_proxy_name() },
                            if syntax.is_none() && self.dialect == Dialect::Go {
                                " (golang/go#28866)"
                            } else {
                                ""
                            }
                        ),
                    ),
                };
                let source = matched.source.clone();
                rule = Some(matched);
                (layer, source, reason)
            }
            Verdict::Refused { layer, error } => (
                layer,
                match (layer, error.origin()) {
                    (Layer::System, Origin::Setting(s)) => s.clone(),
                    _ => qualified_origin(error),
                },
                format!("no route: {error}"),
            ),
            #[cfg(feature = "pac")]
            Verdict::Pac { layer, pac } => return self.pac_decision(target, layer, pac),
            Verdict::Unserved => (
                Layer::Environment,
                "env".to_owned(),
                match crate::env::variables_for(self.dialect, scheme) {
                    vars if vars.is_empty() => format!(
                        "{tool} reads no proxy variable for {scheme} URLs, so the request goes directly"
                    ),
                    vars => format!(
                        "no proxy variable serves {scheme} under {tool} (it reads {}), so the request \
                         goes directly",
                        vars.join(", ")
                    ),
                },
            ),
            Verdict::Nothing => (
                Layer::None,
                "none".to_owned(),
                match &self.env {
                    _ if self.system.is_some() => {
                        let system = &self.system.as_ref().expect("checked").settings;
                        format!(
                            "no custom or environment proxy serves {scheme} URLs, and the {} proxy \
                             settings give none ({}), so the request goes directly",
                            system.store(),
                            match system.mode() {
                                crate::system::SystemMode::Manual => "manual, with no proxy for this scheme",
                                _ => "mode none",
                            }
                        )
                    }
                    _ if self.postman.is_some() => format!(
                        "no Postman config applies and no other proxy {} is configured, so the \
                         request goes directly",
                        if self.env.is_some() { "(custom or environment)" } else { "(custom)" }
                    ),
                    Some(_) => format!(
                        "no proxy is configured: no custom proxy and no proxy variable that {tool} reads, \
                         so the request goes directly"
                    ),
                    None => "no proxy is configured and the environment is not read, so the request \
                             goes directly"
                        .to_owned(),
                },
            ),
        };
        let reason = match self.postman_passed_over(target) {
            Some(story) if !source.starts_with("custom:postman[") => {
                format!("{reason}; before that, {story}")
            }
            _ => reason,
        };
        Decision {
            hops: route.hops().map(HopBuf::from).collect(),
            error: route.error().cloned(),
            layer,
            source,
            reason,
            rule,
            violations: self.violations.clone(),
            target: target.clone(),
        }
    }

    /// The decision of a PAC layer: the script's whole answer, or its failure.
    #[cfg(feature = "pac")]
    fn pac_decision(&self, target: &Target, layer: Layer, pac: &PacLayer) -> Decision {
        let mut violations = self.violations.clone();
        let whose = match layer {
            Layer::System => format!(
                "the {} proxy settings name a PAC script ({})",
                self.system
                    .as_ref()
                    .map_or("system", |s| s.settings.store().as_str()),
                pac.location()
            ),
            _ => "the configured PAC script".to_owned(),
        };
        let (hops, error, reason) = match pac.explained(target) {
            Ok(answer) => {
                violations.extend(answer.result().violations().iter().cloned());
                let hops = answer.result().hops().to_vec();
                let reason = format!(
                    "{whose}; FindProxyForURL({:?}, {:?}) returned {:?}{}{}, so the request tries {}",
                    target.to_string(),
                    target.host(),
                    answer.raw(),
                    answer
                        .branch()
                        .map(|b| format!(" at {b}"))
                        .unwrap_or_default(),
                    if answer.is_cached() { " (cached)" } else { "" },
                    hops.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", then ")
                );
                (hops, None, reason)
            }
            Err(error) if pac.failure_direct => {
                let reason = format!(
                    "{whose}, and it gives no answer: {error}; the request goes directly because \
                     the resolver was built with pac_failure_direct(true)"
                );
                violations.push(crate::error::Violation::from_error(error));
                (vec![HopBuf::Direct], None, reason)
            }
            Err(error) => {
                let reason = format!("{whose}, and it gives no answer: {error}");
                (Vec::new(), Some(error), reason)
            }
        };
        Decision {
            hops,
            error,
            layer,
            source: pac.source.clone(),
            reason,
            rule: None,
            violations,
            target: target.clone(),
        }
    }

    /// The Postman configs that passed `target` on, and why, before the one
    /// that applies (or all of them): `None` without a Postman list.
    fn postman_passed_over(&self, target: &Target) -> Option<String> {
        use crate::postman::Applies;
        let list = self.postman.as_ref()?;
        let mut parts = Vec::new();
        for (i, config) in list.configs().iter().enumerate() {
            let part = match config.check(target) {
                Applies::Yes => break,
                Applies::Disabled => format!("config {i} is disabled"),
                Applies::NotHttp => format!(
                    "config {i} does not apply to {} URLs (Postman's configs serve http and https only)",
                    target.scheme()
                ),
                Applies::Bypassed(entry, text) => {
                    format!("config {i} bypasses {} (bypass entry {entry} {text:?})", target.host())
                }
                Applies::NoMatch => format!(
                    "config {i}'s match pattern {:?} does not match",
                    config.match_pattern()
                ),
            };
            parts.push(part);
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!(
            "Postman's configs passed it on: {}",
            parts.join(", ")
        ))
    }

    fn no_proxy_name(&self) -> &str {
        self.env
            .as_ref()
            .and_then(|e| e.env.no_proxy_variable())
            .unwrap_or("NO_PROXY")
    }

    fn implicit(&self) -> ImplicitBypass {
        self.env
            .as_ref()
            .map_or(ImplicitBypass::None, |e| e.env.no_proxy.implicit())
    }
}

fn qualified(layer: Layer, source: &str) -> String {
    match layer {
        Layer::Environment if !source.contains(':') => format!("env:{source}"),
        _ => source.to_owned(),
    }
}

fn qualified_origin(error: &Error) -> String {
    match error.origin() {
        Origin::Env(var) => format!("env:{var}"),
        Origin::Setting(s) => format!("custom:{s}"),
        Origin::Text => "input".to_owned(),
    }
}

//! [`ResolverBuilder`]: the settings, checked as they are given, and
//! their compilation into a [`Resolver`].

use std::ffi::OsString;

use super::*;

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
    pub(super) fn new() -> Self {
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
    /// custom proxies set before (never silently: the resolver's violations
    /// then hold a note saying so); later [`proxy`](ResolverBuilder::proxy)
    /// and [`scheme_proxy`](ResolverBuilder::scheme_proxy) calls override it.
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
    ///
    /// // Proxies set before are replaced, and the resolver says so.
    /// let resolver = Resolver::builder()
    ///     .https_proxy("http://earlier:3128")
    ///     .proxy_rules("rules:8080")
    ///     .build()?;
    /// assert!(resolver.violations()[0].to_string().contains("replaces the custom proxies"));
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn proxy_rules(mut self, rules: impl IntoProxyRules) -> Self {
        let Some(rules) = self.keep(rules.into_proxy_rules(), "proxy_rules") else {
            return self;
        };
        if self.all.is_some() || !self.per_scheme.is_empty() {
            let replaced: Vec<&str> = self
                .labels
                .iter()
                .map(|(_, label)| label.as_str())
                .collect();
            self.violations.push(crate::error::Violation::new(
                Origin::setting("proxy_rules"),
                None,
                &replaced.join(", "),
                crate::error::ViolationKind::Note(
                    "replaced: proxy_rules replaces the custom proxies set before it",
                ),
            ));
        }
        self.all = None;
        self.per_scheme.clear();
        self.labels.clear();
        self.violations.extend_from_slice(rules.violations());
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

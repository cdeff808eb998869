//! proxyroute decides, for every request an HTTP tool makes, whether to connect
//! directly or through which proxy (with which credentials), and says why.
//!
//! It reads the settings people already have (per-request choices, explicit
//! "custom" proxies, `*_proxy` environment variables, Postman's proxy configs,
//! an application's own configuration file) and resolves any URL to `DIRECT`
//! or a proxy, exactly as the tool you name would: curl, Go, Python, Node,
//! hyper/reqwest, .NET, Chromium or Postman. They disagree on nearly every
//! detail of `NO_PROXY`; a [`Dialect`] picks whose reading to follow.
//!
//! The work is split in three: **parse** each source once into plain data
//! ([`EnvProxies`], [`BypassList`], [`Proxy`], [`ProxySettings`]), **compile**
//! it into a [`Resolver`], then **query** it per request with
//! [`Resolver::resolve`], which allocates nothing and does not scan the bypass
//! list, or [`Resolver::explain`], which also says why.
//!
//! # Ways in
//!
//! | you have | start with | example below |
//! |---|---|---|
//! | the process environment | [`Resolver::from_env`] / [`Resolver::from_env_with`] | [from the environment](#example-from-the-environment) |
//! | proxies chosen in code | [`Resolver::builder`] | [the builder](#example-the-builder-and-a-per-request-override) |
//! | a request with its own proxy | [`Resolver::resolve_with`] and [`RequestProxy`] | [the builder](#example-the-builder-and-a-per-request-override) |
//! | Windows' `ProxyServer` and `ProxyOverride`, Chromium's `--proxy-server` | [`ResolverBuilder::proxy_rules`], [`BypassList::parse_syntax`] | [Windows settings](#example-windows-proxy-settings-pasted-from-a-bug-report) |
//! | a question: why this route? | [`Resolver::explain`], [`Decision`] | [explain](#example-why-was-this-request-proxied) |
//! | "does curl do the same?" | [`curl_command`] | [curl](#example-the-equivalent-curl-command) |
//! | Postman's custom proxy list | [`postman::ProxyConfigList`], [`ResolverBuilder::postman_configs`] | [Postman](#example-postmans-proxy-configs) |
//! | an application's config file | [`ProxySettings`] (feature `serde` for files) | [settings](#example-settings-from-a-configuration-file) |
//! | the desktop's proxy settings (GNOME, KDE, sysconfig) | [`system`] | the [`system`] module |
//!
//! # Example: from the environment
//!
//! ```
//! use proxyroute::{Dialect, Resolver, Target};
//! // `from_env()` reads the process; a lookup function keeps tests pure.
//! let vars = [("https_proxy", "http://proxy.corp:3128"), ("no_proxy", ".corp,10.0.0.0/8")];
//! let resolver = Resolver::from_env_with(Dialect::Curl, proxyroute::env::lookup_in(&vars));
//!
//! let target = Target::parse("https://crates.io/")?;
//! assert_eq!(resolver.resolve(&target).to_string(), "http://proxy.corp:3128");
//! assert!(resolver.resolve(&Target::parse("https://git.corp/")?).is_direct());
//! assert!(resolver.resolve(&Target::parse("https://10.1.2.3/")?).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: the builder and a per-request override
//!
//! ```
//! use proxyroute::{Proxy, RequestProxy, Resolver, Target};
//! let resolver = Resolver::builder()
//!     .proxy("socks5h://alice:p%40ss@127.0.0.1:1080")
//!     .bypass("localhost")
//!     .build()?;
//! let target = Target::parse("http://example.com/")?;
//! let proxy = resolver.resolve(&target).proxy().unwrap();
//! assert_eq!(proxy.credentials().unwrap().password(), Some("p@ss"));
//! assert_eq!(proxy.to_string(), "socks5h://alice:***@127.0.0.1:1080");
//!
//! // A request may carry its own setting, which beats every configured layer.
//! assert!(resolver.resolve_with(&target, &RequestProxy::Direct).is_direct());
//! let own = RequestProxy::Proxy("http://debug-proxy:8888".parse::<Proxy>()?);
//! assert_eq!(resolver.resolve_with(&target, &own).to_string(), "http://debug-proxy:8888");
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: why was this request proxied?
//!
//! ```
//! use proxyroute::{Dialect, Layer, Resolver, Target};
//! let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*.example.com")];
//! let resolver = Resolver::from_env_with(Dialect::Curl, proxyroute::env::lookup_in(&vars));
//! let why = resolver.explain(&Target::parse("https://api.example.com/")?);
//! assert_eq!(why.layer(), Layer::Environment);
//! assert_eq!(why.source(), "env:HTTPS_PROXY");
//! assert!(why.reason().starts_with("curl reads HTTPS_PROXY for https URLs"), "{}", why.reason());
//! // curl has no `*.` wildcard: the entry is reported as one that never matches.
//! assert!(why.violations()[0].to_string().contains("never matches"));
//!
//! // Go reads the same list differently.
//! let go = Resolver::from_env_with(Dialect::Go, proxyroute::env::lookup_in(&vars));
//! let why = go.explain(&Target::parse("https://api.example.com/")?);
//! assert!(why.route().is_direct());
//! assert_eq!(why.rule().unwrap().text(), "*.example.com");
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: Windows proxy settings, pasted from a bug report
//!
//! ```
//! use proxyroute::{BypassList, BypassSyntax, Dialect, Origin, Resolver, Target};
//! // `ProxyServer` and `ProxyOverride` as the registry holds them.
//! let bypass = BypassList::parse_syntax(
//!     "<local>;*.corp.example;10.*",
//!     BypassSyntax::Windows,
//!     Dialect::Chromium,
//!     Origin::setting("ProxyOverride"),
//! );
//! let resolver = Resolver::builder()
//!     .proxy_rules("http=proxy:3128;https=proxy:3128;socks=socks:1080")
//!     .bypass_list(bypass)
//!     .build()?;
//! assert_eq!(resolver.resolve(&Target::parse("https://example.com/")?).to_string(), "http://proxy:3128");
//! assert_eq!(resolver.resolve(&Target::parse("ftp://example.com/")?).to_string(), "socks4://socks:1080");
//! let why = resolver.explain(&Target::parse("http://intranet/")?);
//! assert!(why.route().is_direct());
//! assert_eq!(why.rule().unwrap().text(), "<local>");
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: the equivalent curl command
//!
//! ```
//! use proxyroute::{curl_command, Resolver, ShowCredentials, Target};
//! let resolver = Resolver::builder().proxy("http://alice:s3cret@proxy:3128").build()?;
//! let url = "https://example.com/";
//! let route = resolver.resolve(&Target::parse(url)?);
//! // Without `ShowCredentials::Full`, curl prompts for the password.
//! assert_eq!(
//!     curl_command(route, url, ShowCredentials::UserOnly),
//!     "curl --proxy 'http://proxy:3128' --proxy-user 'alice' --noproxy '' 'https://example.com/'"
//! );
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: Postman's proxy configs
//!
//! ```
//! use proxyroute::postman::ProxyConfigList;
//! use proxyroute::{Origin, Resolver};
//! let json = r#"[{"host": "proxy.corp", "port": 3128, "match": "https://*.example.com:*/*"}]"#;
//! let configs = ProxyConfigList::from_json(json, Origin::setting("proxies.json"))?;
//! let resolver = Resolver::builder().postman_configs(configs).build()?;
//! let why = resolver.explain(&"https://api.example.com/".parse()?);
//! assert_eq!(why.route().to_string(), "http://proxy.corp:3128");
//! assert_eq!(why.source(), "custom:postman[0]");
//! // No config applies to plain http here: the request goes on, to DIRECT.
//! assert!(resolver.resolve(&"http://api.example.com/".parse()?).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: settings from a configuration file
//!
//! [`ProxySettings`] holds what the builder takes, as data; with the `serde`
//! feature it is a table of the application's own TOML or JSON file (see
//! [`settings`] for the keys). Passwords are read, never written.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use proxyroute::ProxySettings;
//! let text = r#"{"use_env": false, "dialect": "go",
//!                "https_proxy": "http://bot:s3cret@proxy.corp:3128",
//!                "bypass": "*.internal"}"#;
//! let settings: ProxySettings = serde_json::from_str(text).unwrap();
//! let resolver = settings.build().unwrap();
//! let route = resolver.resolve(&"https://crates.io/".parse().unwrap());
//! assert_eq!(route.to_string(), "http://bot:***@proxy.corp:3128");
//! assert!(resolver.resolve(&"https://wiki.internal/".parse().unwrap()).is_direct());
//! assert!(!serde_json::to_string(&settings).unwrap().contains("s3cret"));
//! // A bad entry fails the load, naming the key; the password stays hidden.
//! let bad = serde_json::from_str::<ProxySettings>(r#"{"https_proxy": "http://u:pw@proxy:0"}"#);
//! assert!(bad.unwrap_err().to_string().starts_with(r#"https_proxy "http://u:***@proxy:0": invalid port"#));
//! # }
//! ```
//!
//! # Layers
//!
//! The first layer that is configured for the request's scheme decides; layers
//! are not merged. Per-request override, then custom proxies (a Postman
//! [`ProxyConfigList`](postman::ProxyConfigList) first, then explicit proxies
//! and proxy rules), then the environment, then `DIRECT`. See [`resolver`] for
//! the details, and [`Dialect`] for the table of dialects.
//!
//! # Crate features
//!
//! - `serde` (off by default): `Serialize` and `Deserialize` for
//!   [`ProxySettings`] and the configuration types ([`Proxy`], [`ProxyScheme`],
//!   [`ProxyRules`], [`Credentials`], [`Dialect`], [`BypassSyntax`],
//!   [`postman::ProxyConfig`], [`postman::ProxyConfigList`]), each as the text
//!   its `Display` / `FromStr` use. Adds the `serde` dependency.
//! - `gnome`, `kde`, `sysconfig`, `windows`, `macos` (all five: `system`),
//!   off by default: the live readers behind [`system::from_system`]
//!   (`gsettings`, the `kioslaverc` cascade, `/etc/sysconfig/proxy`, the
//!   registry through the Windows-only `windows-registry` dependency,
//!   `scutil --proxy`); the parsers of what they read are always built (see
//!   [`system`]).
//! - `pac`, off by default: [`pac::PacScript`] evaluates proxy auto-config
//!   scripts in a sandboxed QuickJS (`rquickjs`), as a layer of the
//!   [`Resolver`] too (`ResolverBuilder::pac`, and the script a system
//!   setting names); the result grammar, [`pac::PacResult`], is always built.
//! - `pac-fetch`, off by default: fetching `http://` and `https://` PAC URLs
//!   (`ureq` with `rustls`) and WPAD discovery by DNS (`pac::wpad`).
//!
//! Without features, environment and explicit configuration work with `url`,
//! `ipnet`, `http` and `thiserror` as the only dependencies.
//!
//! # Secrets
//!
//! No `Debug` or `Display` output, error, violation or explanation contains a
//! password: proxies print as `user:***@host`. Serialising (feature `serde`)
//! writes user names and never a password. Use
//! [`Proxy::url_with_credentials`] or [`Credentials::basic_auth`] where a client
//! needs them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(any(feature = "hyper", feature = "reqwest", feature = "ureq"))]
pub mod adapters;
pub mod bypass;
mod curl;
mod decision;
mod dialect;
pub mod env;
mod error;
mod json;
pub mod pac;
pub mod postman;
mod proxy;
mod proxy_rules;
pub mod resolver;
mod route;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod settings;
pub mod system;
mod target;

// The public interface:
pub use bypass::{
    BypassHit, BypassList, BypassMatcher, BypassRule, BypassSyntax, ImplicitBypass, Pattern,
};
pub use curl::{curl_command, ShowCredentials};
pub use decision::{Decision, HopBuf, Layer, MatchedRule};
pub use dialect::Dialect;
pub use env::EnvProxies;
pub use error::{Error, ErrorKind, Origin, Result, Violation, ViolationKind};
pub use proxy::{Credentials, Proxy, ProxyScheme};
pub use proxy_rules::ProxyRules;
pub use resolver::{IntoProxy, RequestProxy, Resolver, ResolverBuilder};
pub use route::{Hop, Hops, Route};
pub use settings::ProxySettings;
pub use target::Target;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

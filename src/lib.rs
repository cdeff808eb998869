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
//! | you have | start with | guide |
//! |---|---|---|
//! | the process environment | [`Resolver::from_env`] / [`Resolver::from_env_with`] | [below](#example-from-the-environment) |
//! | proxies chosen in code | [`Resolver::builder`] | [below](#example-the-builder-and-a-per-request-override) |
//! | a request with its own proxy | [`Resolver::resolve_with`] and [`RequestProxy`] | [below](#example-the-builder-and-a-per-request-override) |
//! | a question: why this route? | [`Resolver::explain`], [`Decision`], [`curl_command`] | [`guide::troubleshooting`] |
//! | Windows' `ProxyServer` and `ProxyOverride`, Chromium's `--proxy-server`, other bypass lists | [`ResolverBuilder::proxy_rules`], [`BypassList::parse_syntax`] | [`guide::bypass_syntaxes`] |
//! | Postman's custom proxy list, an application's config file | [`postman::ProxyConfigList`], [`ProxySettings`] (feature `serde` for files) | [`guide::configuration`] |
//! | the desktop's proxy settings (GNOME, KDE, sysconfig, Windows, macOS) | [`system`] | the [`system`] module |
//! | a PAC script | `ResolverBuilder::pac` (feature `pac`) | the [`pac`] module |
//! | the command line | the `proxyroute` binary | [`guide::cli`] |
//! | a long-running program whose settings change | [`SharedResolver`], `watch::Watcher` (feature `watch`) | the watch guide |
//! | a request that fails only behind the proxy | `probe::Prober` (feature `probe`), `proxyroute --probe` | [`guide::troubleshooting`] |
//! | figures | | [`guide::performance`] |
//!
//! [`guide::api`] says which type to start from for each use (a client, a test
//! suite, a fuzzer, the desktop's settings) and what each module promises
//! while the crate is below 1.0.
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
//! let route = resolver.resolve(&target);
//! let proxy = route.proxy().unwrap();
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
//! # Layers
//!
//! The first layer that is configured for the request's scheme decides; layers
//! are not merged. Per-request override, then custom proxies (a Postman
//! [`ProxyConfigList`](postman::ProxyConfigList) first, then explicit proxies
//! and proxy rules), then a PAC script given to the builder (feature `pac`),
//! then the environment, then the system settings (above the environment with
//! [`ResolverBuilder::system_first`]), then `DIRECT`. See [`resolver`] for the
//! details, and [`Dialect`] for the table of dialects.
//!
//! # Crate features
//!
//! - `serde` (off by default): `Serialize` and `Deserialize` for
//!   [`ProxySettings`] and the configuration types ([`Proxy`], [`ProxyScheme`],
//!   [`ProxyRules`], [`Credentials`], [`Dialect`], [`BypassSyntax`],
//!   [`postman::ProxyConfig`], [`postman::ProxyConfigList`]), each as the text
//!   its `Display` / `FromStr` use. Adds the `serde` dependency.
//! - `system-gnome`, `system-kde`, `system-sysconfig`, `system-windows`,
//!   `system-macos` (all five: `system`),
//!   off by default: the live readers behind [`system::from_system`]
//!   (`gsettings`, the `kioslaverc` cascade, `/etc/sysconfig/proxy`, the
//!   registry through the Windows-only `windows-registry` dependency,
//!   `scutil --proxy`); the parsers of what they read are always built (see
//!   [`system`]).
//! - `pac`, off by default: `pac::PacScript` evaluates proxy auto-config
//!   scripts in a sandboxed QuickJS (`rquickjs`), as a layer of the
//!   [`Resolver`] too (`ResolverBuilder::pac`, and the script a system
//!   setting names); the result grammar, [`pac::PacResult`], is always built.
//! - `pac-fetch`, off by default: fetching `http://` and `https://` PAC URLs
//!   (`ureq` with `rustls`) and WPAD discovery by DNS (`pac::wpad`).
//!
//! Without features, environment and explicit configuration work with `url`
//! (and its `percent-encoding`), `ipnet`, `http` and `thiserror` as the only
//! dependencies, plus `arc-swap`
//! for [`SharedResolver`].
//!
//! # Secrets
//!
//! No `Debug` or `Display` output, error, violation or explanation contains a
//! password: proxies print as `user:***@host`. Serialising (feature `serde`)
//! writes user names and never a password. Use
//! [`Proxy::url_with_credentials`] or [`Credentials::basic_auth`] where a client
//! needs them.

// No unsafe code, but in the OS shims (the watcher's registry notification
// on Windows), where each module allows it for its own Win32 calls.
#![deny(unsafe_code)]
#![deny(missing_docs)]
// docs.rs: a badge naming the feature on every feature-gated item.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "hyper", feature = "reqwest", feature = "ureq"))]
pub mod adapters;
pub mod bypass;
mod curl;
mod decision;
mod dialect;
pub mod env;
mod error;
pub mod guide;
mod json;
pub mod pac;
pub mod postman;
#[cfg(feature = "probe")]
pub mod probe;
mod proxy;
mod proxy_rules;
pub mod resolver;
mod route;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod settings;
pub mod shared;
pub mod system;
mod target;
#[cfg(feature = "watch")]
pub mod watch;

// The public interface:
pub use bypass::{
    BypassHit, BypassList, BypassMatcher, BypassRule, BypassSyntax, ImplicitBypass, Pattern,
};
pub use curl::{curl_command, ShowCredentials};
pub use decision::{Decision, HopBuf, Layer, MatchedRule, Provenance};
pub use dialect::Dialect;
pub use env::EnvProxies;
pub use error::{Error, ErrorKind, Origin, Result, Violation, ViolationKind};
pub use proxy::{Credentials, Proxy, ProxyScheme};
pub use proxy_rules::ProxyRules;
pub use resolver::{IntoProxy, IntoProxyRules, RequestProxy, Resolver, ResolverBuilder};
pub use route::{Hop, Hops, Route, RouteFuture};
pub use settings::ProxySettings;
pub use shared::{ResolverGuard, SharedResolver};
pub use target::Target;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! proxyroute decides, for every request an HTTP tool makes, whether to connect
//! directly or through which proxy (with which credentials), and says why.
//!
//! It reads the settings people already have (per-request choices, explicit
//! "custom" proxies, `*_proxy` environment variables) and resolves any URL to
//! `DIRECT` or a proxy, exactly as the tool you name would: curl, Go, Python,
//! Node, hyper/reqwest, .NET, Chromium or Postman. They disagree on nearly every
//! detail of `NO_PROXY`; a [`Dialect`] picks whose reading to follow.
//!
//! The work is split in three: **parse** each source once into plain data
//! ([`EnvProxies`], [`BypassList`], [`Proxy`]), **compile** it into a
//! [`Resolver`], then **query** it per request with [`Resolver::resolve`], which
//! allocates nothing and does not scan the bypass list, or
//! [`Resolver::explain`], which also says why.
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
//! # Example: explicit configuration and a per-request override
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
//! let direct = RequestProxy::Direct;
//! assert!(resolver.resolve_with(&target, &direct).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: why was this request proxied?
//!
//! ```
//! use proxyroute::{Dialect, Resolver, Target};
//! let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*.example.com")];
//! let resolver = Resolver::from_env_with(Dialect::Curl, proxyroute::env::lookup_in(&vars));
//! let why = resolver.explain(&Target::parse("https://api.example.com/")?);
//! assert_eq!(why.source(), "env:HTTPS_PROXY");
//! // curl has no `*.` wildcard: the entry is reported as one that never matches.
//! assert!(why.violations()[0].to_string().contains("never matches"));
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
//! # Example: Postman's custom proxy list
//!
//! ```
//! use proxyroute::postman::ProxyConfigList;
//! use proxyroute::{Origin, Resolver, Target};
//! let configs = ProxyConfigList::from_json(
//!     r#"[{"host": "proxy.corp", "port": 3128, "bypass": ["http://localhost/*"]}]"#,
//!     Origin::setting("proxies.json"),
//! )?;
//! let resolver = Resolver::builder().postman_configs(configs).build()?;
//! let why = resolver.explain(&Target::parse("https://api.example.com/")?);
//! assert_eq!(why.source(), "custom:postman[0]");
//! assert!(resolver.resolve(&Target::parse("http://localhost/")?).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # Example: settings from the application's configuration file
//!
//! With the `serde` feature, [`ProxySettings`] is a table of an application's
//! own TOML or JSON configuration (`examples/config.rs` shows a whole
//! program); a bad entry fails when the file is read, naming the key.
//!
//! ```
//! # #[cfg(feature = "serde")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use proxyroute::{ProxySettings, Target};
//! let settings: ProxySettings = serde_json::from_str(
//!     r#"{"use_env": false, "https_proxy": "http://proxy.corp:3128", "bypass": ".internal"}"#,
//! )?;
//! let resolver = settings.build()?;
//! assert_eq!(resolver.resolve(&Target::parse("https://example.com/")?).to_string(), "http://proxy.corp:3128");
//! let bad = serde_json::from_str::<ProxySettings>(r#"{"https_proxy": "http://u:pw@proxy:0"}"#);
//! assert!(bad.unwrap_err().to_string().starts_with(r#"https_proxy "http://u:***@proxy:0": invalid port"#));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "serde"))]
//! # fn main() {}
//! ```
//!
//! # Example: the same request with curl
//!
//! ```
//! use proxyroute::{curl_command, Resolver, ShowCredentials, Target};
//! let resolver = Resolver::builder().proxy("http://alice:s3cret@proxy:3128").build()?;
//! let url = "https://example.com/";
//! let route = resolver.resolve(&Target::parse(url)?);
//! let line = curl_command(route, url, ShowCredentials::UserOnly);
//! assert!(line.contains("proxy:3128") && !line.contains("s3cret"), "{line}");
//! # Ok::<(), proxyroute::Error>(())
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
//! - `serde`: `Serialize`/`Deserialize` for [`ProxySettings`], [`Proxy`],
//!   [`ProxyScheme`], [`ProxyRules`], [`Credentials`], [`Dialect`] and
//!   [`BypassSyntax`]. Passwords are read, never written.
//!
//! Without features, environment and explicit configuration work with `url`,
//! `ipnet`, `http` and `thiserror` as the only dependencies. OS readers and PAC
//! evaluation will arrive behind features.
//!
//! # Secrets
//!
//! No `Debug` or `Display` output, error, violation or explanation contains a
//! password: proxies print as `user:***@host`. Use
//! [`Proxy::url_with_credentials`] or [`Credentials::basic_auth`] where a client
//! needs them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bypass;
mod curl;
mod decision;
mod dialect;
pub mod env;
mod error;
mod json;
pub mod postman;
mod proxy;
mod proxy_rules;
pub mod resolver;
mod route;
#[cfg(feature = "serde")]
mod serde_impls;
mod settings;
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

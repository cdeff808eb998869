//! [`ProxySettings`]: the proxy configuration as plain data, for an
//! application's own configuration file; with the `serde` feature it
//! (de)serialises.
//!
//! Every field is validated when the settings are made (by
//! [`ProxySettings::validate`], and by deserialising), so a configuration file
//! with a bad proxy or bypass entry fails when it is loaded, naming the field
//! and the text (passwords as `***`), rather than when the first request
//! goes out.
//!
//! **Passwords are read, never written.** Deserialising accepts a password in
//! a proxy URL (`http://user:pass@host:port`, percent-encoded), in
//! `credentials = { username, password }` or in a Postman config's
//! `password`; serialising writes user names but drops every password, so
//! settings written back to a file, logged as JSON or shown in a bug report
//! never carry one. Everything else round-trips exactly: reading what was
//! written gives the same settings, minus the passwords. Keep secrets in the
//! file the application reads (or in its secret store) and never round-trip
//! them through `Serialize`.
//!
//! ```
//! use proxyroute::{Dialect, ProxySettings};
//! let mut settings = ProxySettings::default();
//! settings.dialect = Dialect::Go;
//! settings.use_env = false;
//! settings.https_proxy = Some("http://alice:s3cret@proxy.corp:3128".parse()?);
//! settings.bypass = Some("localhost, .internal.corp".to_owned());
//! let settings = settings.validate()?;
//! let resolver = settings.build()?;
//! let route = resolver.resolve(&"https://api.example.com/".parse()?);
//! assert_eq!(route.to_string(), "http://alice:***@proxy.corp:3128");
//! assert!(resolver.resolve(&"https://db.internal.corp/".parse()?).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```
//!
//! # The file form (feature `serde`)
//!
//! One table (or JSON object) whose keys are the fields, every one optional;
//! unknown keys are errors, so a typo cannot silently drop a setting:
//!
//! | key | value | default |
//! |---|---|---|
//! | `dialect` | `curl`, `go`, `python`, `node`, `hyper`, `dotnet`, `chromium`, `postman` | `curl` |
//! | `use_env` | read the proxy environment variables | `true` |
//! | `proxy`, `http_proxy`, `https_proxy` | a proxy URL | none |
//! | `scheme_proxies` | a table from URL scheme (`ws`, `ftp`) to proxy URL | empty |
//! | `proxy_rules` | `host:port` or `http=h:p;https=h:p;socks=h:p` | none |
//! | `proxy_schemes` | the URL schemes `proxy` serves, such as `["http", "https"]` | all |
//! | `bypass` | the bypass list for the explicit proxies, as one string | none |
//! | `bypass_syntax` | `no-proxy`, `chromium`, `windows`, `macos`, `gnome`, `kde`, `postman` | `no-proxy` |
//! | `reverse_bypass` | `bypass` names the hosts that *use* the proxy | `false` |
//! | `credentials` | `{ username, password }` for explicit proxies without any | none |
//! | `postman` | an array of Postman `ProxyConfig` definitions | none |
//!
//! Each value is read as the CLI and the environment read it, and a bad one
//! fails the load with the key, the entry and the text: `https_proxy
//! "http://u:***@proxy:99999": invalid port`, `bypass entry 1 "10.0.0.0/33":
//! invalid CIDR prefix length`. The `postman` definitions are read with
//! Postman's coercions (`port = "3128"` is a number, a port inside `host`
//! is dropped with a note), but strictly: a field Postman would ignore (an
//! unknown key, a value of the wrong type, `protocol = "https"`) is an error
//! naming `postman config N` and the field. A config that speaks `https` to
//! its proxy (possible in code) cannot be written: serialising it is an error.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use proxyroute::ProxySettings;
//! let settings: ProxySettings = serde_json::from_str(r#"{
//!     "use_env": false,
//!     "https_proxy": "http://alice:s3cret@proxy.corp:3128",
//!     "bypass": "localhost, .internal.corp"
//! }"#).unwrap();
//! let resolver = settings.build().unwrap();
//! let route = resolver.resolve(&"https://api.example.com/".parse().unwrap());
//! assert_eq!(route.to_string(), "http://alice:***@proxy.corp:3128");
//! // Written back: the user name stays, the password does not.
//! let written = serde_json::to_string(&settings).unwrap();
//! assert!(written.contains(r#""https_proxy":"http://alice@proxy.corp:3128""#), "{written}");
//! assert!(!written.contains("s3cret"));
//! # }
//! ```

use std::collections::BTreeMap;

use crate::bypass::{BypassList, BypassSyntax};
use crate::dialect::Dialect;
use crate::error::{Error, Origin, Result, ViolationKind};
use crate::postman::ProxyConfigList;
use crate::proxy::{Credentials, Proxy};
use crate::proxy_rules::ProxyRules;
use crate::resolver::{Resolver, ResolverBuilder};

/// The proxy configuration as data: what [`ResolverBuilder`] takes, in
/// fields. Build a [`Resolver`] with [`build`](ProxySettings::build) or
/// continue with [`into_builder`](ProxySettings::into_builder) (to inject an
/// environment lookup, say).
///
/// The struct is `#[non_exhaustive]`: start from
/// [`ProxySettings::default()`] (or a file) and set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxySettings {
    /// Whose rules to follow (default curl).
    pub dialect: Dialect,
    /// Whether to read the proxy environment variables (default true).
    pub use_env: bool,
    /// One proxy for every scheme.
    pub proxy: Option<Proxy>,
    /// The proxy for `http` URLs.
    pub http_proxy: Option<Proxy>,
    /// The proxy for `https` URLs.
    pub https_proxy: Option<Proxy>,
    /// Proxies for other URL schemes, by scheme (`ws`, `ftp`, …).
    pub scheme_proxies: BTreeMap<String, Proxy>,
    /// Manual proxy rules in the Windows `ProxyServer` / Chromium form;
    /// `proxy`, `http_proxy`, `https_proxy` and `scheme_proxies` override
    /// them scheme by scheme.
    pub proxy_rules: Option<ProxyRules>,
    /// The URL schemes `proxy` serves (all when `None`).
    pub proxy_schemes: Option<Vec<String>>,
    /// The bypass list for the explicit proxies, in `bypass_syntax`.
    pub bypass: Option<String>,
    /// How `bypass` is read (default: the dialect's `NO_PROXY`).
    pub bypass_syntax: BypassSyntax,
    /// `bypass` names the hosts that *use* the proxy.
    pub reverse_bypass: bool,
    /// Credentials for explicit proxies whose URL carries none.
    pub credentials: Option<Credentials>,
    /// Postman's custom proxy list, tried before the other explicit proxies
    /// (see [`ResolverBuilder::postman_configs`]). In a file: an array of
    /// Postman `ProxyConfig` definitions, read strictly (see the module docs).
    pub postman: Option<ProxyConfigList>,
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings {
            dialect: Dialect::default(),
            use_env: true,
            proxy: None,
            http_proxy: None,
            https_proxy: None,
            scheme_proxies: BTreeMap::new(),
            proxy_rules: None,
            proxy_schemes: None,
            bypass: None,
            bypass_syntax: BypassSyntax::default(),
            reverse_bypass: false,
            credentials: None,
            postman: None,
        }
    }
}

impl ProxySettings {
    /// Checks what the fields cannot check alone: the bypass list reads under
    /// its syntax and dialect (every entry, strictly, as the CLI's `--bypass`
    /// does), `reverse_bypass` has a list, schemes are lower-case names.
    ///
    /// # Errors
    ///
    /// The first problem, naming the setting (`bypass` with the entry index,
    /// `reverse_bypass`, `proxy_schemes`, `scheme_proxies`) and its text.
    pub fn validate(self) -> Result<Self> {
        self.bypass_list()?;
        if self.reverse_bypass && self.bypass.is_none() {
            return Err(Error::new(
                crate::ErrorKind::Unsupported("reverse_bypass needs a bypass list"),
                Origin::setting("reverse_bypass"),
                "true",
            ));
        }
        let schemes = self
            .proxy_schemes
            .iter()
            .flatten()
            .map(|s| ("proxy_schemes", s));
        let keys = self.scheme_proxies.keys().map(|s| ("scheme_proxies", s));
        for (setting, scheme) in schemes.chain(keys) {
            let ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
            if !ok {
                return Err(Error::new(
                    crate::ErrorKind::Unsupported("a URL scheme in lower case, such as ws or ftp"),
                    Origin::setting(setting),
                    scheme,
                ));
            }
        }
        Ok(self)
    }

    /// The bypass list, read strictly.
    fn bypass_list(&self) -> Result<Option<BypassList>> {
        let Some(text) = &self.bypass else {
            return Ok(None);
        };
        let origin = Origin::setting("bypass");
        let list = match self.bypass_syntax {
            BypassSyntax::NoProxy => BypassList::parse_strict(text, self.dialect, origin)?,
            syntax => {
                let list = BypassList::parse_syntax(text, syntax, self.dialect, origin);
                if let Some(v) = list
                    .violations()
                    .iter()
                    .find(|v| !matches!(v.kind(), ViolationKind::Note(_)))
                {
                    return Err(Error::from_violation(v));
                }
                list
            }
        };
        Ok(Some(list.reversed(self.reverse_bypass)))
    }

    /// A builder holding these settings; with `use_env` it reads the process
    /// environment (chain [`env_with`](ResolverBuilder::env_with) to read
    /// another one). A setting that does not validate is kept by the builder
    /// and returned by its [`build`](ResolverBuilder::build).
    pub fn into_builder(self) -> ResolverBuilder {
        let bypass = self.bypass_list();
        let mut builder = Resolver::builder().dialect(self.dialect);
        if self.use_env {
            builder = builder.env();
        }
        if let Some(list) = self.postman {
            builder = builder.postman_configs(list);
        }
        if let Some(rules) = self.proxy_rules {
            builder = builder.proxy_rules(rules);
        }
        if let Some(p) = self.proxy {
            builder = builder.proxy(p);
        }
        if let Some(p) = self.http_proxy {
            builder = builder.http_proxy(p);
        }
        if let Some(p) = self.https_proxy {
            builder = builder.https_proxy(p);
        }
        for (scheme, p) in self.scheme_proxies {
            builder = builder.scheme_proxy(&scheme, p);
        }
        if let Some(schemes) = self.proxy_schemes {
            builder = builder.proxy_schemes(schemes);
        }
        match bypass {
            Ok(Some(list)) => builder = builder.bypass_list(list),
            Ok(None) => {}
            // Kept by the builder and returned from `build`.
            Err(e) => builder = builder.fail(e),
        }
        if let Some(c) = self.credentials {
            builder = builder.credentials(c);
        }
        builder
    }

    /// As [`into_builder`](ProxySettings::into_builder), keeping the settings.
    pub fn builder(&self) -> ResolverBuilder {
        self.clone().into_builder()
    }

    /// Builds the resolver.
    ///
    /// # Errors
    ///
    /// What [`validate`](ProxySettings::validate) and
    /// [`ResolverBuilder::build`] report.
    pub fn build(&self) -> Result<Resolver> {
        self.clone().validate()?.into_builder().build()
    }
}

#[cfg(feature = "serde")]
mod file {
    //! The file form: plain strings, validated into [`ProxySettings`] with
    //! each error naming its field; written without passwords.

    use super::*;
    use crate::json::Value;
    use crate::serde_impls::Definition;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct FileSettings {
        #[serde(skip_serializing_if = "Option::is_none")]
        dialect: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        use_env: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        proxy: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_proxy: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        https_proxy: Option<String>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        scheme_proxies: BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        proxy_rules: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        proxy_schemes: Option<Vec<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        bypass: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        bypass_syntax: Option<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reverse_bypass: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        credentials: Option<FileCredentials>,
        #[serde(skip_serializing_if = "Option::is_none")]
        postman: Option<Vec<Definition>>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct FileCredentials {
        username: String,
        #[serde(skip_serializing)]
        password: Option<String>,
    }

    fn proxy(setting: &str, text: Option<String>) -> Result<Option<Proxy>> {
        text.map(|t| {
            t.parse::<Proxy>()
                .map_err(|e| e.with_origin(Origin::setting(setting)))
        })
        .transpose()
    }

    impl TryFrom<FileSettings> for ProxySettings {
        type Error = Error;

        fn try_from(f: FileSettings) -> Result<Self> {
            let named = |setting: &str, e: Error| e.with_origin(Origin::setting(setting));
            let mut s = ProxySettings::default();
            if let Some(d) = f.dialect {
                s.dialect = d.parse().map_err(|e| named("dialect", e))?;
            }
            s.use_env = f.use_env.unwrap_or(true);
            s.proxy = proxy("proxy", f.proxy)?;
            s.http_proxy = proxy("http_proxy", f.http_proxy)?;
            s.https_proxy = proxy("https_proxy", f.https_proxy)?;
            for (scheme, text) in f.scheme_proxies {
                let setting = format!("scheme_proxies.{scheme}");
                let p = text.parse::<Proxy>().map_err(|e| named(&setting, e))?;
                s.scheme_proxies.insert(scheme, p);
            }
            if let Some(rules) = f.proxy_rules {
                s.proxy_rules =
                    Some(ProxyRules::parse(&rules).map_err(|e| named("proxy_rules", e))?);
            }
            s.proxy_schemes = f.proxy_schemes;
            s.bypass = f.bypass;
            if let Some(syntax) = f.bypass_syntax {
                s.bypass_syntax = syntax.parse().map_err(|e| named("bypass_syntax", e))?;
            }
            s.reverse_bypass = f.reverse_bypass;
            s.credentials = f
                .credentials
                .map(|c| Credentials::new(c.username, c.password.as_deref()));
            if let Some(items) = f.postman {
                s.postman = Some(postman_list(items)?);
            }
            s.validate()
        }
    }

    /// Postman's configs, read with Postman's coercions but strictly: a field
    /// Postman would ignore (a wrong type, an unknown key, `protocol =
    /// "https"`) is an error here, naming `postman config N` and the field.
    /// Notes (a host with a port in it, `authenticate` without a user) are
    /// kept as the resolver's violations.
    fn postman_list(items: Vec<Definition>) -> Result<ProxyConfigList> {
        let items: Vec<Value> = items.into_iter().map(|Definition(v)| v).collect();
        let list = ProxyConfigList::from_values(&items, &Origin::setting("postman"));
        match list
            .violations()
            .iter()
            .find(|v| !matches!(v.kind(), ViolationKind::Note(_)))
        {
            Some(v) => Err(Error::from_violation(v)),
            None => Ok(list),
        }
    }

    impl TryFrom<ProxySettings> for FileSettings {
        type Error = &'static str;

        fn try_from(s: ProxySettings) -> std::result::Result<Self, &'static str> {
            let url = |p: &Proxy| p.url_without_password();
            let postman = match &s.postman {
                None => None,
                Some(list) => Some(
                    list.configs()
                        .iter()
                        .map(|c| c.to_definition().map(Definition))
                        .collect::<std::result::Result<Vec<_>, _>>()?,
                ),
            };
            Ok(FileSettings {
                dialect: Some(s.dialect.as_str().to_owned()),
                use_env: Some(s.use_env),
                proxy: s.proxy.as_ref().map(url),
                http_proxy: s.http_proxy.as_ref().map(url),
                https_proxy: s.https_proxy.as_ref().map(url),
                scheme_proxies: s
                    .scheme_proxies
                    .iter()
                    .map(|(k, p)| (k.clone(), url(p)))
                    .collect(),
                proxy_rules: s.proxy_rules.map(|r| r.without_passwords().to_string()),
                proxy_schemes: s.proxy_schemes,
                bypass: s.bypass,
                bypass_syntax: (s.bypass_syntax != BypassSyntax::NoProxy)
                    .then(|| s.bypass_syntax.as_str().to_owned()),
                reverse_bypass: s.reverse_bypass,
                credentials: s.credentials.map(|c| FileCredentials {
                    username: c.username().to_owned(),
                    password: None,
                }),
                postman,
            })
        }
    }

    impl Serialize for ProxySettings {
        /// Writes the settings without any password.
        fn serialize<S: serde::Serializer>(
            &self,
            serializer: S,
        ) -> std::result::Result<S::Ok, S::Error> {
            FileSettings::try_from(self.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer)
        }
    }

    impl<'de> Deserialize<'de> for ProxySettings {
        fn deserialize<D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> std::result::Result<Self, D::Error> {
            let file = FileSettings::deserialize(deserializer)?;
            ProxySettings::try_from(file).map_err(serde::de::Error::custom)
        }
    }
}

//! The operating system's proxy settings ("use system proxy"), one reader per
//! store, each split into a pure parser of the store's own text (compiled and
//! tested everywhere) and a small reader of the live store behind a feature:
//!
//! | store | module | live reader (feature) |
//! |---|---|---|
//! | GNOME `org.gnome.system.proxy` | [`gnome`] | `gsettings list-recursively` (`system-gnome`) |
//! | KDE `kioslaverc` `[Proxy Settings]` | [`kde`] | the XDG config cascade (`system-kde`) |
//! | SUSE `/etc/sysconfig/proxy` | [`sysconfig`] | the file (`system-sysconfig`) |
//! | Windows `Internet Settings` | [`windows`] | the registry, HKCU or the machine policy's HKLM (`system-windows`) |
//! | macOS SystemConfiguration | [`macos`] | `scutil --proxy` (`system-macos`) |
//!
//! Every reader gives a [`SystemProxies`]: the mode (direct, manual, a PAC URL,
//! auto-detection), a proxy per scheme with the key it came from, the bypass
//! list in the store's own syntax, and the violations met. A resolver takes it
//! with [`ResolverBuilder::system`](crate::ResolverBuilder::system); the
//! system layer sits below the environment (as libproxy, .NET and reqwest
//! have it) unless [`system_first`](crate::ResolverBuilder::system_first) is
//! set. A PAC URL or auto-detection is carried and reported, never evaluated
//! into a silent `DIRECT`.
//!
//! ```
//! use proxyroute::system::gnome;
//! use proxyroute::{Resolver, Target};
//! let out = "\
//! org.gnome.system.proxy mode 'manual'
//! org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '*.corp.example']
//! org.gnome.system.proxy.http host 'proxy.corp.example'
//! org.gnome.system.proxy.http port 3128
//! ";
//! let system = gnome::parse(out);
//! let resolver = Resolver::builder().system(system).build()?;
//! let why = resolver.explain(&Target::parse("https://example.com/")?);
//! assert_eq!(why.route().to_string(), "http://proxy.corp.example:3128");
//! // No https proxy of its own: glib-networking lends http's.
//! assert_eq!(
//!     why.source(),
//!     "gnome:org.gnome.system.proxy.http (https has no host of its own)"
//! );
//! assert!(resolver.resolve(&Target::parse("https://git.corp.example/")?).is_direct());
//! # Ok::<(), proxyroute::Error>(())
//! ```

pub mod gnome;
pub mod kde;
pub mod macos;
pub mod sysconfig;
pub mod windows;

use std::fmt;

use crate::bypass::{BypassList, BypassSyntax};
use crate::error::{Error, ErrorKind, Origin, Violation};
use crate::proxy::Proxy;
use crate::target::Target;

/// Which store the settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Store {
    /// GNOME's `org.gnome.system.proxy` (GSettings).
    Gnome,
    /// KDE's `kioslaverc`.
    Kde,
    /// SUSE's `/etc/sysconfig/proxy`.
    Sysconfig,
    /// Windows' WinINet settings (`Internet Settings` in the registry).
    Windows,
    /// macOS's SystemConfiguration proxies dictionary.
    Macos,
}

impl Store {
    /// The store's short name, as sources are prefixed: `gnome`, `kde`,
    /// `sysconfig`.
    pub fn as_str(self) -> &'static str {
        match self {
            Store::Gnome => "gnome",
            Store::Kde => "kde",
            Store::Sysconfig => "sysconfig",
            Store::Windows => "windows",
            Store::Macos => "macos",
        }
    }

    /// The bypass syntax the store writes.
    pub fn syntax(self) -> BypassSyntax {
        match self {
            Store::Gnome => BypassSyntax::Gnome,
            Store::Kde => BypassSyntax::Kde,
            Store::Sysconfig => BypassSyntax::NoProxy,
            Store::Windows => BypassSyntax::Windows,
            Store::Macos => BypassSyntax::Macos,
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the settings ask for.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SystemMode {
    /// No proxy.
    Direct,
    /// Proxies per scheme.
    Manual,
    /// A proxy auto-config script at this URL (as written, a password
    /// included; `Debug` shows it as `***`).
    AutoConfig(String),
    /// Web proxy auto-discovery (WPAD).
    AutoDetect,
}

impl std::fmt::Debug for SystemMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SystemMode::Direct => f.write_str("Direct"),
            SystemMode::Manual => f.write_str("Manual"),
            SystemMode::AutoConfig(url) => f
                .debug_tuple("AutoConfig")
                .field(&crate::error::redact(url))
                .finish(),
            SystemMode::AutoDetect => f.write_str("AutoDetect"),
        }
    }
}

/// The scheme slots a store fills: one proxy each for http, https and ftp
/// URLs, and a SOCKS proxy for every scheme without its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Http,
    Https,
    Ftp,
    Socks,
}

/// One store's proxy settings, read and checked.
#[derive(Clone, Debug)]
pub struct SystemProxies {
    store: Store,
    mode: SystemMode,
    /// The proxies by slot, each with the key it came from.
    proxies: [Option<(Proxy, String)>; 4],
    bypass: Option<(BypassList, String)>,
    /// Where the mode came from (for PAC and auto-detect decisions).
    mode_source: String,
    pac_error: Option<Error>,
    /// What applies when the auto-config script cannot be loaded.
    fallback: Option<AutoFallback>,
    /// In auto-detect mode, the script URL to try when detection finds none.
    detect_then: Option<ScriptUrl>,
    violations: Vec<Violation>,
}

/// A script URL as written (a password included); `Debug` shows it as `***`.
#[derive(Clone)]
struct ScriptUrl(String);

impl fmt::Debug for ScriptUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::error::redact(&self.0))
    }
}

/// What a store's settings fall back to when the script of an auto-config
/// or auto-detect mode cannot be fetched or does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AutoFallback {
    /// The manual proxies (and their bypass list) of the same settings:
    /// WinINet tries auto-detection, then the script URL, then the manual
    /// proxy, falling through whenever a script cannot be downloaded or
    /// parsed (Chromium's "Proxy settings and fallback" design document,
    /// which Chromium on Windows follows). `source` names the setting that
    /// turns the manual proxy on.
    ManualProxies {
        /// The setting that turns the manual proxy on.
        source: String,
    },
}

impl AutoFallback {
    /// The sentence that says the fallback happened, given why the script
    /// could not be used and where it was.
    pub fn describe(&self, store: Store, location: &str, error: &Error) -> String {
        match self {
            AutoFallback::ManualProxies { source } => format!(
                "the {store} auto-config script {location} could not be loaded ({error}), so, as \
                 WinINet does, the manual proxy settings ({source}) apply instead"
            ),
        }
    }
}

impl SystemProxies {
    pub(crate) fn new(store: Store, mode_source: String) -> Self {
        SystemProxies {
            store,
            mode: SystemMode::Direct,
            proxies: [None, None, None, None],
            bypass: None,
            mode_source,
            pac_error: None,
            fallback: None,
            detect_then: None,
            violations: Vec::new(),
        }
    }

    pub(crate) fn set_mode(&mut self, mode: SystemMode) {
        self.pac_error = match &mode {
            SystemMode::AutoConfig(url) => Some(Error::new(
                ErrorKind::PacNotEvaluated,
                Origin::setting(self.mode_source.clone()),
                url,
            )),
            SystemMode::AutoDetect => Some(Error::new(
                ErrorKind::PacNotEvaluated,
                Origin::setting(self.mode_source.clone()),
                "auto-detect (WPAD)",
            )),
            _ => None,
        };
        self.mode = mode;
    }

    pub(crate) fn set_proxy(&mut self, slot: Slot, proxy: Proxy, source: String) {
        self.proxies[slot as usize] = Some((proxy, source));
    }

    pub(crate) fn set_bypass(&mut self, list: BypassList, source: String) {
        self.violations.extend(list.violations().iter().cloned());
        self.bypass = Some((list, source));
    }

    pub(crate) fn violation(&mut self, v: Violation) {
        self.violations.push(v);
    }

    /// The store.
    pub fn store(&self) -> Store {
        self.store
    }

    /// What the settings ask for.
    pub fn mode(&self) -> &SystemMode {
        &self.mode
    }

    /// The bypass list, in the store's syntax, and where it came from.
    pub fn bypass(&self) -> Option<&BypassList> {
        self.bypass.as_ref().map(|(l, _)| l)
    }

    /// Every problem met while reading the store.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The proxy for `scheme` URLs in manual mode, and the key it came from:
    /// the scheme's own, else the default (SOCKS). `ws` reads `http`'s and
    /// `wss` `https`'s, except under GNOME: glib-networking's resolver gives
    /// every scheme but http, https and ftp the default proxy.
    pub fn proxy_for(&self, scheme: &str) -> Option<(&Proxy, &str)> {
        let gnome = self.store == Store::Gnome;
        let own = match scheme {
            "http" => Some(Slot::Http),
            "https" => Some(Slot::Https),
            "ftp" => Some(Slot::Ftp),
            "ws" if !gnome => Some(Slot::Http),
            "wss" if !gnome => Some(Slot::Https),
            _ => None,
        };
        own.and_then(|slot| self.proxies[slot as usize].as_ref())
            .or(self.proxies[Slot::Socks as usize].as_ref())
            .map(|(p, s)| (p, s.as_str()))
    }

    /// Whether the settings ask for anything but a direct connection.
    pub fn is_configured(&self) -> bool {
        self.mode != SystemMode::Direct
    }

    /// In an auto-config or auto-detect mode, whether the bypass list
    /// applies before the script, and the setting that names the mode.
    /// GNOME: glib-networking's GNOME resolver checks `ignore-hosts` before
    /// it asks its PAC runner (`g_proxy_resolver_gnome_lookup`), so an
    /// ignored host goes direct in `auto` mode too. WinINet applies its
    /// bypass list only within the manual settings (Chromium's "Proxy
    /// settings and fallback").
    pub(crate) fn bypass_before_auto(&self) -> Option<&str> {
        let auto = matches!(
            self.mode,
            SystemMode::AutoConfig(_) | SystemMode::AutoDetect
        );
        (auto && self.store == Store::Gnome).then_some(self.mode_source.as_str())
    }

    /// What applies when the auto-config script cannot be loaded: `None`
    /// means the route is refused with the error.
    pub fn auto_fallback(&self) -> Option<&AutoFallback> {
        self.fallback.as_ref()
    }

    pub(crate) fn set_fallback(&mut self, fallback: AutoFallback) {
        self.fallback = Some(fallback);
    }

    /// In auto-detect mode, the script URL the settings name as well: WinINet
    /// tries it when auto-detection finds no script (Chromium's "Proxy
    /// settings and fallback"), before any manual fallback.
    pub fn auto_detect_then(&self) -> Option<&str> {
        match self.mode {
            SystemMode::AutoDetect => self.detect_then.as_ref().map(|u| u.0.as_str()),
            _ => None,
        }
    }

    /// The setting that chose the mode: the key a PAC layer is named by.
    #[cfg(feature = "pac")]
    pub(crate) fn mode_source(&self) -> &str {
        &self.mode_source
    }

    pub(crate) fn set_detect_then(&mut self, url: String) {
        self.detect_then = Some(ScriptUrl(url));
    }

    /// The proxy for `target` from the manual settings an auto-config mode
    /// falls back to (`None` without a fallback).
    #[cfg_attr(not(feature = "pac"), allow(dead_code))]
    pub(crate) fn fallback_proxy(&self, target: &Target) -> Option<(&Proxy, &str)> {
        match self.fallback {
            Some(AutoFallback::ManualProxies { .. }) => self.proxy_for(target.scheme()),
            None => None,
        }
    }

    pub(crate) fn pac_error(&self) -> Option<&Error> {
        self.pac_error.as_ref()
    }

    pub(crate) fn bypass_source(&self) -> Option<(&BypassList, &str)> {
        self.bypass.as_ref().map(|(l, s)| (l, s.as_str()))
    }

    /// Whether `target` has a proxy in manual mode (`None` otherwise).
    pub(crate) fn manual_proxy(&self, target: &Target) -> Option<(&Proxy, &str)> {
        match self.mode {
            SystemMode::Manual => self.proxy_for(target.scheme()),
            _ => None,
        }
    }
}

/// Reads a proxy value a store holds, naming `source` in the error.
pub(crate) fn proxy_value(text: &str, source: &str) -> Result<Proxy, Error> {
    text.parse::<Proxy>()
        .map_err(|e| e.with_origin(Origin::setting(source.to_owned())))
}

/// The live system settings: the store the running desktop uses, read now.
///
/// On Windows it reads the WinINet settings (feature `system-windows`), on macOS
/// the SystemConfiguration proxies (feature `system-macos`). On Linux it
/// picks the store from `XDG_CURRENT_DESKTOP` (GNOME, Unity,
/// Cinnamon, MATE, Pantheon, Budgie → GNOME; KDE → KDE), then
/// `/etc/sysconfig/proxy` when it exists; each needs its feature (`system-gnome`,
/// `system-kde`, `system-sysconfig`, or `system` for all). `Ok(None)`: no store applies
/// here. An error means a store applies but could not be read: never treat
/// it as "no proxy".
///
/// # Errors
///
/// The store's reader failed (`gsettings` missing or failing, an unreadable
/// file), naming the store.
pub fn from_system() -> Result<Option<SystemProxies>, Error> {
    from_system_with(|name| std::env::var(name).ok())
}

/// [`from_system`] with the environment seen through `lookup` (which
/// desktop, where the XDG directories are).
///
/// # Errors
///
/// As [`from_system`].
#[allow(unused_variables)]
pub fn from_system_with(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<SystemProxies>, Error> {
    let desktop = lookup("XDG_CURRENT_DESKTOP")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let is = |names: &[&str]| desktop.split(':').any(|d| names.contains(&d));
    #[cfg(feature = "system-gnome")]
    if is(&[
        "GNOME",
        "UNITY",
        "CINNAMON",
        "X-CINNAMON",
        "MATE",
        "PANTHEON",
        "BUDGIE",
    ]) {
        return gnome::read().map(Some);
    }
    #[cfg(feature = "system-kde")]
    if is(&["KDE"]) {
        return kde::read(&lookup).map(Some);
    }
    #[cfg(all(windows, feature = "system-windows"))]
    if cfg!(windows) {
        return windows::read().map(Some);
    }
    #[cfg(all(target_os = "macos", feature = "system-macos"))]
    if cfg!(target_os = "macos") {
        return macos::read().map(Some);
    }
    #[cfg(feature = "system-sysconfig")]
    if std::path::Path::new(sysconfig::PATH).exists() {
        return sysconfig::read(std::path::Path::new(sysconfig::PATH)).map(Some);
    }
    Ok(None)
}

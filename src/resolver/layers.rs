//! The compiled layers a [`Resolver`] asks: custom proxies, the system
//! settings (and their PAC script), the environment.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct CustomLayer {
    pub(super) proxies: Vec<(Proxy, String)>,
    /// A proxy index per known scheme, then one for other schemes.
    pub(super) slots: Vec<Option<usize>>,
    /// Per-scheme proxies for schemes the crate does not know by name.
    pub(super) named: Vec<(String, usize)>,
    pub(super) bypass: Option<(BypassMatcher, String)>,
    pub(super) use_env_bypass: bool,
}

impl CustomLayer {
    pub(super) fn new(
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

    pub(super) fn slot(&self, target: &Target) -> Option<usize> {
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
pub(super) struct SystemLayer {
    pub(super) settings: SystemProxies,
    pub(super) bypass: Option<(BypassMatcher, String)>,
    /// The script the settings' PAC URL names, loaded (or why it is not).
    #[cfg(feature = "pac")]
    pub(super) pac: Option<Arc<PacLayer>>,
}

/// The PAC layer for system settings in auto-config or auto-detect mode:
/// `script` if the caller fetched it, else a layer that
/// [`Resolver::load`] fetches (the URL) or discovers (WPAD). Nothing is
/// fetched here.
#[cfg(feature = "pac")]
pub(super) fn system_pac_layer(
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
            None => PacLayer::pending(
                source,
                Some(Pending::Wpad {
                    wpad: wpad.unwrap_or_default(),
                    then: settings.auto_detect_then().map(|url| {
                        (
                            url.to_owned(),
                            fetcher.clone(),
                            format!("system:{} auto-config", settings.store()),
                        )
                    }),
                }),
            ),
        });
    }
    let SystemMode::AutoConfig(url) = settings.mode() else {
        return None;
    };
    let source = settings.mode_source().to_owned();
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
pub(super) struct EnvLayer {
    pub(super) env: EnvProxies,
    pub(super) bypass: BypassMatcher,
    pub(super) bypass_source: String,
    pub(super) configured: bool,
}

//! The verdict: which layer decides for a target, borrowed from the
//! resolver; `resolve` turns it into a route and `explain` into a decision.

use super::*;

/// Why a route was chosen, borrowed from the resolver: what `resolve` and
/// `explain` share, so that they cannot disagree.
pub(super) enum Verdict<'a> {
    Request(&'a RequestProxy),
    Proxy {
        layer: Layer,
        proxy: &'a Proxy,
        source: &'a str,
        /// The Postman config that gave the proxy, and its index.
        postman: Option<(usize, &'a ProxyConfig)>,
    },
    Bypass {
        layer: Layer,
        hit: BypassHit<'a>,
        list_source: &'a str,
        proxy_source: &'a str,
        /// The layer's own bypass list, when it was that list (not the
        /// environment's) that matched: its syntax may speak for a tool.
        own_list: Option<&'a BypassMatcher>,
    },
    Refused {
        layer: Layer,
        error: &'a Error,
        /// Whether a Postman config refused (its proxy does not parse).
        postman: bool,
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
    pub(super) fn route(&self, #[allow(unused_variables)] target: &Target) -> Route<'a> {
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

impl Resolver {
    #[inline(always)]
    pub(super) fn verdict<'a>(
        &'a self,
        target: &Target,
        request: Option<&'a RequestProxy>,
    ) -> Verdict<'a> {
        if let Some(request) = request {
            return Verdict::Request(request);
        }
        if let Some(list) = &self.postman {
            if let Some((index, config)) = list.resolve(target) {
                return match config.proxy() {
                    Ok(proxy) => Verdict::Proxy {
                        layer: Layer::Custom,
                        proxy,
                        source: &config.source,
                        postman: Some((index, config)),
                    },
                    Err(error) => Verdict::Refused {
                        layer: Layer::Custom,
                        error,
                        postman: true,
                    },
                };
            }
        }
        if let Some(custom) = &self.custom {
            if let Some(i) = custom.slot(target) {
                let (proxy, source) = &custom.proxies[i];
                let bypass = match (&custom.bypass, &self.env) {
                    (Some((m, s)), _) => Some((m, s.as_str(), true)),
                    (None, Some(env)) if custom.use_env_bypass => {
                        Some((&env.bypass, env.bypass_source.as_str(), false))
                    }
                    _ => None,
                };
                if let Some((matcher, list_source, own)) = bypass {
                    if let Some(hit) = matcher.find(target) {
                        return Verdict::Bypass {
                            layer: Layer::Custom,
                            hit,
                            list_source,
                            proxy_source: source,
                            own_list: own.then_some(matcher),
                        };
                    }
                }
                return Verdict::Proxy {
                    layer: Layer::Custom,
                    proxy,
                    source,
                    postman: None,
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
                    postman: false,
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
            // Go refuses an HTTP proxy in CGI before it looks at NO_PROXY, or
            // at whether the value parses.
            if let Some(error) = &env.env.cgi_refusal {
                if target.scheme_index() == Some(SCHEME_HTTP) {
                    return Verdict::Refused {
                        layer: Layer::Environment,
                        error,
                        postman: false,
                    };
                }
            }
            if let Some(hit) = env.bypass.find(target) {
                return Verdict::Bypass {
                    layer: Layer::Environment,
                    hit,
                    list_source: &env.bypass_source,
                    proxy_source: &slot.var,
                    own_list: None,
                };
            }
            return match &slot.proxy {
                Err(error) => Verdict::Refused {
                    layer: Layer::Environment,
                    error,
                    postman: false,
                },
                Ok(proxy) => Verdict::Proxy {
                    layer: Layer::Environment,
                    proxy,
                    source: &slot.var,
                    postman: None,
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
        // GNOME: ignore-hosts applies before the script (glib-networking).
        if let (Some(source), Some((matcher, list_source))) =
            (system.settings.bypass_before_auto(), &system.bypass)
        {
            if let Some(hit) = matcher.find(target) {
                return Some(Verdict::Bypass {
                    layer: Layer::System,
                    hit,
                    list_source,
                    proxy_source: source,
                    own_list: Some(matcher),
                });
            }
        }
        #[cfg(feature = "pac")]
        if let Some(pac) = &system.pac {
            // A script that was loaded and failed falls back where the store
            // says so (WinINet: to the manual proxy; see `system_fallback`).
            // One not loaded yet is refused as such, and so is a scheme the
            // manual settings do not serve: the failure is never passed on to
            // a lower layer, where it would become a silent DIRECT.
            let fallback = (pac.is_loaded() && pac.script().is_err())
                .then(|| system.settings.fallback_proxy(target))
                .flatten();
            return Some(match fallback {
                Some((proxy, source)) => system_manual_verdict(system, target, proxy, source),
                None => Verdict::Pac {
                    layer: Layer::System,
                    pac,
                },
            });
        }
        if let Some(error) = system.settings.pac_error() {
            return Some(Verdict::Refused {
                layer: Layer::System,
                error,
                postman: false,
            });
        }
        let (proxy, source) = system.settings.manual_proxy(target)?;
        Some(system_manual_verdict(system, target, proxy, source))
    }

    /// The sentence saying the system layer fell back from a script that
    /// was loaded and failed, if it did.
    pub(super) fn system_fallback(&self) -> Option<String> {
        #[cfg(feature = "pac")]
        if let Some(system) = &self.system {
            if let (Some(pac), Some(fallback)) = (&system.pac, system.settings.auto_fallback()) {
                if pac.is_loaded() {
                    if let Err(error) = pac.script() {
                        return Some(fallback.describe(
                            system.settings.store(),
                            &pac.location(),
                            &error,
                        ));
                    }
                }
            }
        }
        None
    }
}

/// The system layer's manual verdict for `proxy`: its bypass list first.
#[inline]
fn system_manual_verdict<'a>(
    system: &'a super::layers::SystemLayer,
    target: &Target,
    proxy: &'a crate::proxy::Proxy,
    source: &'a str,
) -> Verdict<'a> {
    if let Some((matcher, list_source)) = &system.bypass {
        if let Some(hit) = matcher.find(target) {
            return Verdict::Bypass {
                layer: Layer::System,
                hit,
                list_source,
                proxy_source: source,
                own_list: Some(matcher),
            };
        }
    }
    Verdict::Proxy {
        layer: Layer::System,
        proxy,
        source,
        postman: None,
    }
}

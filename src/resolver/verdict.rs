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
}

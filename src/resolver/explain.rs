//! [`Decision`]s: a verdict worded for people, with the rule, the
//! source and the violations.

use super::*;

impl Resolver {
    pub(super) fn decision(&self, target: &Target, request: Option<&RequestProxy>) -> Decision {
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
        let (layer, provenance, reason) = match verdict {
            Verdict::Request(RequestProxy::Direct) => (
                Layer::Request,
                Provenance::Request,
                "the request asks for a direct connection, overriding every configured proxy".to_owned(),
            ),
            Verdict::Request(RequestProxy::Proxy(p)) => (
                Layer::Request,
                Provenance::Request,
                format!("the request carries its own proxy, {p}, overriding every configured layer"),
            ),
            Verdict::Proxy {
                layer,
                proxy,
                source,
                postman,
            } => {
                let provenance = match (layer, postman) {
                    (_, Some((index, _))) => Provenance::PostmanConfig {
                        index,
                        name: source.to_owned(),
                    },
                    (Layer::Environment, None) => Provenance::Variable(source.to_owned()),
                    (layer, None) => Provenance::Setting {
                        layer,
                        name: source.to_owned(),
                    },
                };
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
                        "{tool} reads {source} for {scheme} URLs; no {} entry matches {host}",
                        self.no_proxy_name()
                    ),
                };
                (layer, provenance, reason)
            }
            Verdict::Bypass {
                layer,
                hit,
                list_source,
                proxy_source,
                own_list,
            } => {
                let proxy_source = match layer {
                    Layer::Environment => Provenance::Variable(proxy_source.to_owned()),
                    layer => Provenance::Setting {
                        layer,
                        name: proxy_source.to_owned(),
                    },
                };
                // A custom list in another tool's syntax speaks for that tool.
                let syntax = own_list.and_then(|m| {
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
                                | ImplicitBypass::WinInet
                                | ImplicitBypass::Macos => "localhost, loopback or link-local hosts",
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
                let provenance = Provenance::Bypass {
                    list: matched.source.clone(),
                    index: matched.index,
                };
                rule = Some(matched);
                (layer, provenance, reason)
            }
            Verdict::Refused { layer, error, .. } => (
                layer,
                match (layer, error.origin()) {
                    (_, Origin::Env(var)) => Provenance::Variable(var.clone()),
                    (Layer::System, Origin::Setting(s)) => Provenance::Setting {
                        layer,
                        name: s.clone(),
                    },
                    (_, Origin::Setting(s)) => Provenance::Setting {
                        layer,
                        name: format!("custom:{s}"),
                    },
                    (_, Origin::Text) => Provenance::Setting {
                        layer,
                        name: "input".to_owned(),
                    },
                },
                format!("no route: {error}"),
            ),
            #[cfg(feature = "pac")]
            Verdict::Pac { layer, pac } => return self.pac_decision(target, layer, pac),
            Verdict::Unserved => (
                Layer::Environment,
                Provenance::NoVariable,
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
                Provenance::Nothing,
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
        let from_postman = matches!(
            verdict,
            Verdict::Proxy {
                postman: Some(_),
                ..
            } | Verdict::Refused { postman: true, .. }
        );
        let reason = match self.system_fallback().filter(|_| layer == Layer::System) {
            Some(fallback) => format!("{fallback}: {reason}"),
            None => reason,
        };
        let reason = match self.postman_passed_over(target) {
            Some(story) if !from_postman => {
                format!("{reason}; before that, {story}")
            }
            _ => reason,
        };
        Decision {
            hops: route.hops().map(HopBuf::from).collect(),
            error: route.error().cloned(),
            layer,
            source: provenance.to_string(),
            provenance,
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
        let mut line = None;
        let (hops, error, reason) = match pac.explained(target) {
            Ok(answer) => {
                line = answer.branch().map(crate::pac::Branch::line);
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
            // Not loaded yet is never a failure to go direct on.
            Err(error) if pac.failure_direct && pac.is_loaded() => {
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
        let provenance = Provenance::Pac {
            layer,
            name: pac.source.clone(),
            location: pac.location(),
            line,
        };
        Decision {
            hops,
            error,
            layer,
            source: provenance.to_string(),
            provenance,
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

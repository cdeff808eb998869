//! The resolver the options describe, with the notes people should read
//! before the answers.

use std::ffi::OsString;

use proxyroute::postman::ProxyConfigList;
use proxyroute::{BypassList, BypassSyntax, Dialect, Origin, Proxy, ProxyRules, Resolver};

use crate::args::Options;

/// A resolver and what to tell people about its configuration.
pub(crate) struct Built {
    pub(crate) resolver: Resolver,
    /// One line each, printed as `note: ...` before the answers.
    pub(crate) notes: Vec<String>,
}

/// Builds the resolver; an error is why the configuration is unusable (exit 2).
///
/// Under `--strict`, any violation in the configuration is such an error.
pub(crate) fn build(opts: &Options) -> Result<Built, String> {
    let mut notes = Vec::new();
    let parse = |text: &str, flag: &str| -> Result<Proxy, String> {
        text.parse::<Proxy>()
            .map_err(|e| e.with_origin(Origin::setting(flag)).to_string())
    };
    let noproxy = curl_noproxy(opts);
    let mut builder = Resolver::builder().dialect(opts.dialect);
    match (&noproxy, opts.no_env) {
        (_, true) => {}
        (Some(list), false) => {
            let list = OsString::from(list);
            builder = builder.env_with(move |name| match name {
                "no_proxy" => Some(list.clone()),
                "NO_PROXY" => None,
                other => std::env::var_os(other),
            });
            notes.push(
                "under curl, --bypass is curl's --noproxy: it replaces NO_PROXY for every proxy, \
                 the environment's too (its entries show as env:no_proxy)"
                    .to_owned(),
            );
        }
        (None, false) => builder = builder.env(),
    }
    if let Some(file) = &opts.postman_config {
        let flag = format!("--postman-config {file}");
        let text = std::fs::read_to_string(file).map_err(|e| format!("{flag}: {e}"))?;
        let list =
            ProxyConfigList::from_json(&text, Origin::setting(flag)).map_err(|e| e.to_string())?;
        builder = builder.postman_configs(list);
    }
    if let Some(source) = &opts.system {
        let settings = crate::system::read(source)?;
        builder = builder.system(settings).system_first(opts.system_first);
    }
    if let Some(rules) = &opts.proxy_rules {
        let rules = ProxyRules::parse(rules)
            .map_err(|e| e.with_origin(Origin::setting("--proxy-rules")).to_string())?;
        builder = builder.proxy_rules(rules);
    }
    if let Some(p) = &opts.proxy {
        builder = builder.proxy(parse(p, "--proxy")?);
    }
    if let Some(p) = &opts.http_proxy {
        builder = builder.http_proxy(parse(p, "--http-proxy")?);
    }
    if let Some(p) = &opts.https_proxy {
        builder = builder.https_proxy(parse(p, "--https-proxy")?);
    }
    // Read as the tool reads it: entries it would skip are notes, not errors.
    // Under curl's --noproxy reading the environment carries the list.
    if let Some(text) = &opts.bypass {
        if noproxy.is_none() || opts.no_env {
            let list = BypassList::parse_syntax(
                text,
                opts.bypass_syntax,
                opts.dialect,
                Origin::setting("--bypass"),
            );
            builder = builder.bypass_list(list.reversed(opts.reverse_bypass));
        }
    }
    builder = crate::pac::layer(builder, opts, &mut notes)?;
    let resolver = builder.build().map_err(|e| e.to_string())?;
    // The one step that touches the network: fetch the PAC script the system
    // settings name (or WPAD finds). A failure is the refused route it leaves
    // (or WinINet's fallback), shown with each URL's answer.
    #[cfg(feature = "pac")]
    let _ = resolver.load();
    if opts.strict && !resolver.violations().is_empty() {
        let lines: Vec<String> = resolver
            .violations()
            .iter()
            .map(|v| format!("--strict: {v}"))
            .collect();
        return Err(lines.join("\n"));
    }
    Ok(Built { resolver, notes })
}

/// The `--bypass` text when it stands for curl's `--noproxy`: the curl
/// dialect, the dialect's own `NO_PROXY` syntax, not reversed.
fn curl_noproxy(opts: &Options) -> Option<String> {
    let text = opts.bypass.as_ref()?;
    (opts.dialect == Dialect::Curl
        && opts.bypass_syntax == BypassSyntax::NoProxy
        && !opts.reverse_bypass)
        .then(|| text.clone())
}

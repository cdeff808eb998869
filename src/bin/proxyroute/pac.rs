//! `--pac` and `--wpad`: the script, loaded once and handed to the resolver
//! as its PAC layer; and `--pac-child`, the child `--pac-isolate` starts.
//!
//! Without the `pac` feature (or `pac-fetch` for `--wpad`) these options are
//! an error naming the feature: never a silent route without the script.

use std::process::ExitCode;

use proxyroute::ResolverBuilder;

use crate::args::Options;

/// The argument that makes this program a PAC child (`--pac-isolate`).
#[cfg(feature = "pac")]
const CHILD_FLAG: &str = "--pac-child";

/// Serves PAC evaluations on stdin and stdout when this process was started
/// as `--pac-isolate`'s child; `None` otherwise.
pub(crate) fn serve_child() -> Option<ExitCode> {
    #[cfg(feature = "pac")]
    if std::env::args().nth(1).as_deref() == Some(CHILD_FLAG) {
        return Some(match proxyroute::pac::child::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("proxyroute {CHILD_FLAG}: {e}");
                ExitCode::from(2)
            }
        });
    }
    None
}

/// Adds the PAC layer `--pac` or `--wpad` asks for. `notes` receives what
/// people should know (where WPAD found the script).
pub(crate) fn layer(
    builder: ResolverBuilder,
    opts: &Options,
    notes: &mut Vec<String>,
) -> Result<ResolverBuilder, String> {
    if let Some(domain) = &opts.wpad {
        let (url, text) = wpad(domain).map_err(|e| format!("--wpad {domain}: {e}"))?;
        notes.push(format!("WPAD found {url}"));
        return with_script(builder, &text, opts).map_err(|e| format!("--wpad {domain}: {e}"));
    }
    if let Some(location) = &opts.pac {
        let text = fetch(location).map_err(|e| format!("--pac {location}: {e}"))?;
        notes.push(format!("the PAC script is {location}"));
        return with_script(builder, &text, opts).map_err(|e| format!("--pac {location}: {e}"));
    }
    Ok(builder)
}

/// The text of the script at `location`: a path, or a `file://`, `http://`
/// or `https://` URL.
#[cfg(feature = "pac")]
fn fetch(location: &str) -> Result<String, String> {
    if location.contains("://") {
        proxyroute::pac::fetch::fetch(location, std::time::Duration::from_secs(10))
            .map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(location).map_err(|e| e.to_string())
    }
}

#[cfg(not(feature = "pac"))]
fn fetch(_location: &str) -> Result<String, String> {
    Err(missing_feature(
        "cannot evaluate PAC scripts",
        "pac",
        "--pac FILE",
    ))
}

/// Loads `text` (in a child process under `--pac-isolate`) as the
/// resolver's PAC layer.
#[cfg(feature = "pac")]
fn with_script(
    builder: ResolverBuilder,
    text: &str,
    opts: &Options,
) -> Result<ResolverBuilder, String> {
    use proxyroute::pac::{child::ChildProcess, PacScript};
    let script = if opts.pac_isolate {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        PacScript::new_isolated(text, ChildProcess::new(exe).arg(CHILD_FLAG))
    } else {
        PacScript::new(text)
    };
    script
        .map(|script| builder.pac(script))
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "pac"))]
fn with_script(
    _builder: ResolverBuilder,
    _text: &str,
    _opts: &Options,
) -> Result<ResolverBuilder, String> {
    Err(missing_feature(
        "cannot evaluate PAC scripts",
        "pac",
        "--pac FILE",
    ))
}

/// `--wpad DOMAIN`: the URL and text of the first script WPAD finds under
/// `DOMAIN` (fetched once; the resolver gets the text).
#[cfg(feature = "pac-fetch")]
fn wpad(domain: &str) -> Result<(String, String), String> {
    proxyroute::pac::wpad::Wpad::devolving(domain)
        .and_then(|search| search.discover())
        .map(|found| (found.url, found.script))
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "pac-fetch"))]
fn wpad(_domain: &str) -> Result<(String, String), String> {
    Err(missing_feature(
        "cannot search for PAC scripts by WPAD",
        "pac-fetch",
        "--wpad DOMAIN",
    ))
}

/// The error for an option this build cannot serve.
#[cfg(not(all(feature = "pac", feature = "pac-fetch")))]
fn missing_feature(what: &str, feature: &str, usage: &str) -> String {
    format!(
        "this build {what}: it needs feature `{feature}` \
         (cargo install proxyroute --features {feature}, or cargo run --features {feature} -- \
         {usage} URL)"
    )
}

//! `--watch`: keep running, and print each URL's route again when a source
//! the options read changes it (`proxyroute::watch`, feature `watch`).

use std::process::ExitCode;

use crate::args::Options;
use crate::config::Built;

/// Follows the sources the options name until the process is interrupted:
/// a `change:` line per change the watcher saw, then a line per URL whose
/// route changed (with `--json`, one JSON object each). The routes as they
/// are now have been printed already.
#[cfg(feature = "watch")]
pub(crate) fn run(built: Built, opts: &Options) -> ExitCode {
    use proxyroute::watch::{RouteChanges, Watcher};
    use proxyroute::{Error, Origin, SharedResolver};

    let mut routes = match RouteChanges::new(&opts.urls) {
        Ok(routes) => routes,
        Err(error) => {
            eprintln!("proxyroute: --watch: {error}");
            return ExitCode::from(1);
        }
    };
    // The routes printed already are the starting point.
    let _ = routes.update(&built.resolver);
    let shared = SharedResolver::new(built.resolver);
    let sources = sources(opts);
    if sources.is_empty() {
        eprintln!(
            "proxyroute: --watch: nothing to follow: give --system, a settings file \
             (--gnome-gsettings, --kde-kioslaverc, --sysconfig, --windows-reg, \
             --macos-scutil, --postman-config) or --pac"
        );
        return ExitCode::from(2);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let again = opts.clone();
    let mut builder = Watcher::builder(shared.clone(), move |_inputs| {
        crate::config::build(&again)
            .map(|built| built.resolver)
            .map_err(|message| Error::rebuild(Origin::setting("proxyroute"), message))
    })
    .send_to(tx);
    for source in sources {
        builder = builder.watch(source);
    }
    let _watcher = match builder.start() {
        Ok(watcher) => watcher,
        Err(error) => {
            eprintln!("proxyroute: --watch: {error}");
            return ExitCode::from(2);
        }
    };
    if !opts.json {
        println!("note: watching for changes (Ctrl-C ends)");
    }
    // The watcher's start-up rebuild reports a change too; it changes no route.
    for change in rx {
        if opts.json {
            println!("{}", change.to_json());
        } else {
            println!("change: {change}");
        }
        if change.result().is_err() {
            continue;
        }
        for route in routes.update(&shared.load()) {
            if opts.json {
                println!("{}", route.to_json());
            } else {
                println!("{route}");
            }
        }
    }
    ExitCode::SUCCESS
}

/// What the options read, as sources to watch.
#[cfg(feature = "watch")]
fn sources(opts: &Options) -> Vec<proxyroute::watch::Source> {
    use crate::args::SystemSource;
    use proxyroute::watch::Source;

    let mut out = Vec::new();
    match &opts.system {
        Some(SystemSource::Live) => out.extend(Source::system()),
        Some(
            SystemSource::Gnome(file)
            | SystemSource::Kde(file)
            | SystemSource::Sysconfig(file)
            | SystemSource::Windows(file)
            | SystemSource::Macos(file),
        ) => out.push(Source::file(file)),
        None => {}
    }
    if let Some(file) = &opts.postman_config {
        out.push(Source::file(file));
    }
    if let Some(pac) = &opts.pac {
        if pac.starts_with("http://") || pac.starts_with("https://") {
            #[cfg(feature = "pac-fetch")]
            out.push(Source::pac(pac.clone()));
        } else {
            out.push(Source::file(pac.strip_prefix("file://").unwrap_or(pac)));
        }
    }
    out
}

/// Without the feature, `--watch` is an error that names it.
#[cfg(not(feature = "watch"))]
pub(crate) fn run(_: Built, _: &Options) -> ExitCode {
    eprintln!(
        "proxyroute: --watch needs a build with the `watch` feature (try 'proxyroute --help')"
    );
    ExitCode::from(2)
}

//! `--probe`: connect along each URL's route and print the diagnosis
//! (`proxyroute::probe`, feature `probe`).

use std::process::ExitCode;

use proxyroute::Resolver;

use crate::args::Options;

/// Probes every URL and prints each report, human or JSON. Exit status: 0
/// when every origin answered, 1 when some probe failed, 2 for a bad
/// `--ca-file`.
#[cfg(feature = "probe")]
pub(crate) fn run(resolver: &Resolver, opts: &Options) -> ExitCode {
    let mut prober = proxyroute::probe::Prober::new(resolver);
    if let Some(timeout) = opts.probe_timeout {
        prober = prober.timeout(timeout);
    }
    if let Some(file) = &opts.ca_file {
        prober = match prober.ca_file(file) {
            Ok(prober) => prober,
            Err(error) => {
                eprintln!("proxyroute: --ca-file {file}: {error}");
                return ExitCode::from(2);
            }
        };
    }
    let mut all_ok = true;
    for url in &opts.urls {
        match prober.probe(url) {
            Ok(report) => {
                all_ok &= report.succeeded();
                if opts.json {
                    println!("{}", report.to_json());
                } else {
                    print!("{report}");
                }
            }
            Err(error) => {
                all_ok = false;
                if opts.json {
                    println!("{}", crate::json::bad_url(url, &error.to_string()));
                } else {
                    print!("{}", crate::human::bad_url(url, &error.to_string()));
                }
            }
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Without the feature, `--probe` is an error that names it.
#[cfg(not(feature = "probe"))]
pub(crate) fn run(_: &Resolver, _: &Options) -> ExitCode {
    eprintln!(
        "proxyroute: --probe needs a build with the `probe` feature (try 'proxyroute --help')"
    );
    ExitCode::from(2)
}

//! `proxyroute`: where does this request go, and why?
//!
//! ```text
//! proxyroute [OPTIONS] URL...
//! cargo run -- [OPTIONS] URL...        (in the repository)
//! ```
//!
//! Reads the proxy environment variables (as curl would, or as `--dialect`
//! says), explicit proxies, a bypass list, system settings and a PAC script
//! from the options, and prints for each URL the route `Resolver::resolve`
//! gives, where it came from, the bypass rule that matched and hints for
//! common mistakes. `--json` prints one JSON object per URL instead.
//! Exit status: 0, 1 when some URL had no route, 2 for bad options or an
//! unusable configuration. The reference is docs/cli.md.

#![forbid(unsafe_code)]

mod answer;
mod args;
mod config;
mod human;
mod json;
mod pac;
mod probe;
mod system;
mod target;
mod watch;

use std::process::ExitCode;

use answer::Answer;
use args::Parsed;

fn main() -> ExitCode {
    if let Some(code) = pac::serve_child() {
        return code;
    }
    let opts = match args::parse(std::env::args().skip(1).collect()) {
        Ok(Parsed::Run(opts)) => *opts,
        Ok(Parsed::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("proxyroute {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("proxyroute: {message} (try 'proxyroute --help')");
            return ExitCode::from(2);
        }
    };
    let built = match config::build(&opts) {
        Ok(built) => built,
        Err(message) => {
            for line in message.lines() {
                eprintln!("proxyroute: {line}");
            }
            return ExitCode::from(2);
        }
    };
    let resolver = &built.resolver;
    if !opts.json {
        for note in &built.notes {
            println!("note: {note}");
        }
        for v in resolver.violations() {
            println!("note: {v}");
        }
    }
    if opts.probe {
        return probe::run(resolver, &opts);
    }
    let mut failed = false;
    for url in &opts.urls {
        let line = match target::parse(url) {
            Ok(target) => {
                let answer = Answer::new(resolver, url, &target, &opts);
                failed |= answer.failed();
                if opts.json {
                    format!("{}\n", json::answer(&answer))
                } else {
                    human::answer(&answer)
                }
            }
            Err(error) => {
                failed = true;
                if opts.json {
                    format!("{}\n", json::bad_url(url, &error))
                } else {
                    human::bad_url(url, &error)
                }
            }
        };
        print!("{line}");
    }
    if opts.watch {
        return watch::run(built, &opts);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

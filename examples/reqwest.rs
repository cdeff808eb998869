//! proxyroute with reqwest, through `proxyroute::adapters::reqwest`: every
//! request and every redirect asks the resolver, and a refused route (first
//! request or redirect) fails instead of going direct.
//!
//! ```text
//! http_proxy=http://alice:s3cret@127.0.0.1:3128 cargo run --features reqwest-blocking --example reqwest -- http://127.0.0.1:8080/
//! ```
//!
//! Prints the route and why, then the status and body. Exit status: 0 when the
//! server answered, 1 when there was no route or the request failed, 2 for bad
//! arguments.

use std::process::ExitCode;
use std::sync::Arc;

use proxyroute::adapters::reqwest::RoutedBlockingClient;
use proxyroute::{Resolver, Target};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        eprintln!("usage: reqwest URL");
        return ExitCode::from(2);
    };
    let resolver = Arc::new(Resolver::from_env());
    match Target::parse(&url) {
        Ok(target) => {
            let why = resolver.explain(&target);
            println!("route:  {}\nwhy:    {}", why.route(), why.reason());
        }
        Err(e) => {
            eprintln!("reqwest: {url}: {e}");
            return ExitCode::from(2);
        }
    }
    let fetched = RoutedBlockingClient::new(resolver)
        .map_err(|e| with_causes(&e))
        .and_then(|client| client.get(&url).map_err(|e| with_causes(&e)))
        .and_then(|response| {
            let status = response.status().as_u16();
            Ok((status, response.text().map_err(|e| with_causes(&e))?))
        });
    match fetched {
        Ok((status, body)) => {
            print!("status: {status}\n{body}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("reqwest: {e}");
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, joined by `: `.
fn with_causes(error: &dyn std::error::Error) -> String {
    let causes = std::iter::successors(error.source(), |e| e.source());
    causes.fold(error.to_string(), |text, cause| format!("{text}: {cause}"))
}

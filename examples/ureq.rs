//! proxyroute with ureq 3, through `proxyroute::adapters::ureq`: every request
//! and every redirect is resolved, the route's hops are tried in order, and a
//! refused route is never sent directly.
//!
//! ```text
//! http_proxy=http://alice:s3cret@127.0.0.1:3128 cargo run --features ureq --example ureq -- http://127.0.0.1:8080/
//! ```
//!
//! Prints the route and why, then the status and body. Exit status: 0 when the
//! server answered, 1 when there was no route or no hop reached the server, 2
//! for bad arguments.

use std::process::ExitCode;
use std::sync::Arc;

use proxyroute::adapters::ureq::RoutedAgent;
use proxyroute::{Resolver, Target};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        eprintln!("usage: ureq URL");
        return ExitCode::from(2);
    };
    let resolver = Arc::new(Resolver::from_env());
    match Target::parse(&url) {
        Ok(target) => {
            let why = resolver.explain(&target);
            println!("route:  {}\nwhy:    {}", why.route(), why.reason());
        }
        Err(e) => {
            eprintln!("ureq: {url}: {e}");
            return ExitCode::from(2);
        }
    }
    let fetched = RoutedAgent::new(resolver)
        .get(&url)
        .map_err(|e| with_causes(&e));
    let fetched = fetched.and_then(|response| {
        let status = response.status().as_u16();
        let body = response.into_body().read_to_string();
        Ok((status, body.map_err(|e| with_causes(&e))?))
    });
    match fetched {
        Ok((status, body)) => {
            print!("status: {status}\n{body}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ureq: {e}");
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, joined by `: `.
fn with_causes(error: &dyn std::error::Error) -> String {
    let causes = std::iter::successors(error.source(), |e| e.source());
    causes.fold(error.to_string(), |text, cause| format!("{text}: {cause}"))
}

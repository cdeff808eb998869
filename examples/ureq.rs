//! proxyroute with ureq 3: each request asks the resolver where it goes.
//!
//! ```text
//! http_proxy=http://alice:s3cret@127.0.0.1:3128 cargo run --example ureq -- http://127.0.0.1:8080/
//! ```
//!
//! Reads the proxy environment as curl does, prints the route and why, then
//! fetches the URL along it and prints the status and body. Exit status: 0 when
//! the server answered, 1 when there was no route or no hop reached the server,
//! 2 for bad arguments. `tests/real_proxies.rs` drives the same functions through
//! squid and microsocks.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use proxyroute::{Hop, Proxy, Resolver, Target};

/// What came back from the server.
#[derive(Debug)]
pub struct Fetched {
    /// The hop that reached the server: `DIRECT` or the proxy, password as `***`.
    pub via: String,
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

/// An agent that takes no proxy from the environment by itself: proxyroute
/// decides per request. Statuses come back as responses, not errors, and
/// redirects are not followed (a redirect is a new request: resolve it again).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// The ureq proxy for a proxyroute proxy. ureq percent-decodes the userinfo
/// once, so a password with `@ : % / space` or non-ASCII text survives.
pub fn ureq_proxy(proxy: &Proxy) -> Result<ureq::Proxy, ureq::Error> {
    ureq::Proxy::new(&proxy.url_with_credentials())
}

/// Resolves `url` and fetches it along the route.
pub fn fetch(agent: &ureq::Agent, resolver: &Resolver, url: &str) -> Result<Fetched, String> {
    let target = Target::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let route = resolver.resolve(&target);
    if let Some(e) = route.error() {
        // A configured source failed: never fall back to DIRECT silently.
        return Err(format!("no route for {url}: {e}"));
    }
    fetch_hops(agent, route.hops(), url)
}

/// Tries the hops in order. A hop that cannot be reached (connection refused,
/// timeout) passes to the next; a proxy that answers, even with 407, ends the
/// attempt: wrong credentials are not fixed by trying elsewhere.
pub fn fetch_hops<'a>(
    agent: &ureq::Agent,
    hops: impl IntoIterator<Item = Hop<'a>>,
    url: &str,
) -> Result<Fetched, String> {
    let mut failures = Vec::new();
    for hop in hops {
        let proxy = match hop {
            Hop::Proxy(p) => Some(ureq_proxy(p).map_err(|e| format!("proxy {p}: {e}"))?),
            Hop::Direct => None,
            other => return Err(format!("{url}: this example cannot use the hop {other}")),
        };
        let result = agent.get(url).config().proxy(proxy).build().call();
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                if status == 407 {
                    return Err(auth_error(&hop));
                }
                let mut body = String::new();
                response
                    .into_body()
                    .into_reader()
                    .read_to_string(&mut body)
                    .map_err(|e| format!("{url} via {hop}: reading the body: {e}"))?;
                return Ok(Fetched {
                    via: hop.to_string(),
                    status,
                    body,
                });
            }
            // ureq tunnels every request through an HTTP proxy with CONNECT, so a
            // 407 arrives as the tunnel's failure.
            Err(ureq::Error::ConnectProxyFailed(reason)) if reason.contains("407") => {
                return Err(auth_error(&hop));
            }
            Err(ureq::Error::ConnectProxyFailed(reason)) => {
                return Err(format!("{url} via {hop}: the proxy refused: {reason}"));
            }
            Err(e) => failures.push(format!("{hop}: {e}")),
        }
    }
    if failures.is_empty() {
        Err(format!("{url}: the route has no hop"))
    } else {
        Err(format!(
            "{url}: no hop reached the server: {}",
            failures.join("; ")
        ))
    }
}

fn auth_error(hop: &Hop<'_>) -> String {
    format!(
        "proxy {hop} answered 407 Proxy Authentication Required: \
         the user name or password is missing or wrong"
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        eprintln!("usage: ureq URL");
        return ExitCode::from(2);
    };
    let resolver = Resolver::from_env();
    match Target::parse(&url) {
        Ok(target) => {
            let why = resolver.explain(&target);
            println!("route:  {}", why.route());
            println!("why:    {}", why.reason());
        }
        Err(e) => {
            eprintln!("ureq: {url}: {e}");
            return ExitCode::from(2);
        }
    }
    match fetch(&agent(), &resolver, &url) {
        Ok(fetched) => {
            println!("via:    {}", fetched.via);
            println!("status: {}", fetched.status);
            print!("{}", fetched.body);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ureq: {e}");
            ExitCode::from(1)
        }
    }
}

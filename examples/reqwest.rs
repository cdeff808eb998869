//! proxyroute with reqwest: a `reqwest::Proxy::custom` closure asks the resolver
//! for every request (and every redirect), so one client serves every route.
//!
//! ```text
//! http_proxy=http://alice:s3cret@127.0.0.1:3128 cargo run --example reqwest -- http://127.0.0.1:8080/
//! ```
//!
//! Reads the proxy environment as curl does, prints the route and why, then
//! fetches the URL and prints the status and body. Exit status: 0 when the server
//! answered, 1 when there was no route or the request failed, 2 for bad
//! arguments. `tests/real_proxies.rs` drives the same functions through squid
//! and microsocks.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use proxyroute::{Proxy, Resolver, Target};
use reqwest::blocking::Client;

/// What came back from the server.
#[derive(Debug)]
pub struct Fetched {
    /// The route taken: `DIRECT` or the proxy, password as `***`.
    pub via: String,
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

/// The proxy URL (with credentials, for reqwest only) for a request URL, or
/// `None` for a direct connection.
pub fn proxy_for(resolver: &Resolver, url: &reqwest::Url) -> Option<String> {
    let target = Target::from_url(url).ok()?;
    resolver
        .resolve(&target)
        .proxy()
        .map(Proxy::url_with_credentials)
}

/// A client whose every connection is routed by `resolver`. Setting a proxy
/// also turns off reqwest's own reading of the environment.
pub fn client(resolver: Arc<Resolver>) -> reqwest::Result<Client> {
    Client::builder()
        .proxy(reqwest::Proxy::custom(move |url| proxy_for(&resolver, url)))
        .timeout(Duration::from_secs(10))
        .build()
}

/// Fetches `url` with a client made by [`client`] from the same resolver.
///
/// reqwest reads `None` from the closure as "direct", and so an error too: a
/// refused route (a broken proxy variable) is checked here first, so that it
/// never turns into a silent direct connection.
pub fn fetch(client: &Client, resolver: &Resolver, url: &str) -> Result<Fetched, String> {
    let target = Target::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let route = resolver.resolve(&target);
    if let Some(e) = route.error() {
        return Err(format!("no route for {url}: {e}"));
    }
    let response = client
        .get(url)
        .send()
        .map_err(|e| format!("{url} via {route}: {}", with_causes(&e)))?;
    let status = response.status().as_u16();
    if status == 407 {
        return Err(format!(
            "proxy {route} answered 407 Proxy Authentication Required: \
             the user name or password is missing or wrong"
        ));
    }
    let body = response
        .text()
        .map_err(|e| format!("{url} via {route}: reading the body: {}", with_causes(&e)))?;
    Ok(Fetched {
        via: route.to_string(),
        status,
        body,
    })
}

/// reqwest's message and its causes ("error sending request: ... : connection
/// refused"): the first alone rarely says what went wrong.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

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
            println!("route:  {}", why.route());
            println!("why:    {}", why.reason());
        }
        Err(e) => {
            eprintln!("reqwest: {url}: {e}");
            return ExitCode::from(2);
        }
    }
    let result = client(Arc::clone(&resolver))
        .map_err(|e| e.to_string())
        .and_then(|client| fetch(&client, &resolver, &url));
    match result {
        Ok(fetched) => {
            println!("via:    {}", fetched.via);
            println!("status: {}", fetched.status);
            print!("{}", fetched.body);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("reqwest: {e}");
            ExitCode::from(1)
        }
    }
}

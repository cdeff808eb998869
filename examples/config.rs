//! An application that keeps its proxy settings in its own configuration
//! file (TOML or JSON, by extension) and asks proxyroute where each request
//! goes.
//!
//! ```text
//! cargo run --example config --features serde -- examples/config/app.toml https://api.example.com/
//! ```
//!
//! A bad `[proxy]` table fails at load time, naming the key and the text
//! (passwords as `***`), with exit status 2.

use std::process::ExitCode;

use proxyroute::{ProxySettings, Resolver, Target};
use serde::Deserialize;

/// The application's configuration: its own keys, and a `proxy` table.
#[derive(Deserialize)]
#[allow(dead_code)] // the example reads only the proxy table
struct AppConfig {
    name: String,
    timeout_seconds: u64,
    #[serde(default)]
    proxy: ProxySettings,
}

fn load(path: &str) -> Result<AppConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    if path.ends_with(".json") {
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    } else {
        toml::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: config FILE.toml|FILE.json URL...");
        return ExitCode::from(2);
    };
    let config = match load(&path) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("config: {message}");
            return ExitCode::from(2);
        }
    };
    let resolver: Resolver = match config.proxy.build() {
        Ok(resolver) => resolver,
        Err(e) => {
            eprintln!("config: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    // What was read but is odd (a Postman host with a port in it, say) is
    // worth a line in the application's log.
    for note in resolver.violations() {
        eprintln!("config: {path}: note: {note}");
    }
    let mut failed = false;
    for url in args {
        match Target::parse(&url) {
            Ok(target) => {
                let why = resolver.explain(&target);
                failed |= why.error().is_some();
                println!("{url} -> {} ({})", why.route(), why.source());
            }
            Err(e) => {
                failed = true;
                println!("{url} -> error: {e}");
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

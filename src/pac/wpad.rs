//! WPAD by DNS: finding a PAC script when the settings say "detect
//! automatically" (feature `pac-fetch`).
//!
//! [`Wpad::new`] asks for `http://wpad/wpad.dat`, leaving the resolver to
//! apply the machine's search domains, as Chromium, Firefox and libproxy do.
//! [`Wpad::devolving`] also walks up a domain as Windows does (the WPAD
//! draft's devolution): for `a.b.example.co.uk` it asks `wpad.a.b.example.co.uk`,
//! `wpad.b.example.co.uk` and `wpad.example.co.uk`, and stops there: never a
//! `wpad.` under a public suffix (`wpad.co.uk`, `wpad.com`), where anyone
//! could register the name and answer every request's routing. The
//! registrable domain is estimated from the name's last labels (two, or
//! three under a two-letter country code whose second level is a generic
//! one such as `co`, `com` or `ac`); give it with
//! [`Wpad::registrable_domain`] where that guess is wrong.
//!
//! Names are looked up through a [`HostResolver`] (the OS resolver with a
//! 1 s timeout by default, Chromium's "quick check"), and the script is
//! fetched from the address found with the candidate's name in the `Host`
//! header, directly, under the [`Fetcher`]'s policy. DHCP (option 252) is
//! out of scope: a DHCP-provided URL reaches the crate as an ordinary PAC
//! URL where the system settings hold it.
//!
//! ```
//! use proxyroute::pac::wpad::Wpad;
//! let wpad = Wpad::devolving("eng.corp.example.co.uk")?;
//! assert_eq!(wpad.names(), ["wpad.eng.corp.example.co.uk", "wpad.corp.example.co.uk", "wpad.example.co.uk"]);
//! assert_eq!(Wpad::new().names(), ["wpad"]);
//! # Ok::<(), proxyroute::Error>(())
//! ```

use std::net::IpAddr;
use std::sync::Arc;

use super::eval::{HostResolver, SystemDns};
use super::fetch::Fetcher;
use crate::error::{Error, ErrorKind, Origin};

/// Second-level labels that are public under a two-letter country code
/// (`example.co.uk`, `example.com.au`, `example.ac.jp`).
const GENERIC_SECOND_LEVEL: &[&str] = &[
    "ac", "co", "com", "edu", "gob", "gov", "go", "ltd", "me", "mil", "ne", "net", "nhs", "nic",
    "or", "org", "plc", "sch",
];

/// A WPAD search: the names to try, in order, and how to ask.
#[derive(Clone)]
pub struct Wpad {
    names: Vec<String>,
    dns: Arc<dyn HostResolver>,
    fetcher: Fetcher,
    port: u16,
}

impl std::fmt::Debug for Wpad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wpad")
            .field("names", &self.names)
            .field("fetcher", &self.fetcher)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// A script found by WPAD.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Discovered {
    /// The URL it was found at, by name: `http://wpad.corp.example/wpad.dat`.
    pub url: String,
    /// The script's text.
    pub script: String,
}

fn fail(what: &str, why: String) -> Error {
    Error::new(
        ErrorKind::Pac(why),
        Origin::setting(format!("WPAD {what}")),
        "",
    )
}

impl Default for Wpad {
    fn default() -> Self {
        Wpad::new()
    }
}

impl Wpad {
    /// The browsers' search: the single name `wpad`, completed by the
    /// resolver's search domains.
    pub fn new() -> Self {
        Wpad {
            names: vec!["wpad".to_owned()],
            dns: Arc::new(SystemDns::default()),
            fetcher: Fetcher::new().attempts(1),
            port: 80,
        }
    }

    /// Windows' search: `wpad.` under `domain`, then under each parent
    /// domain, down to the registrable domain and never below it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] when `domain` is not a DNS name of at least two
    /// labels, or is itself a public suffix as far as the estimate goes.
    pub fn devolving(domain: &str) -> Result<Self, Error> {
        let domain = checked_domain(domain)?;
        let keep = registrable_labels(&domain);
        Wpad::new().with_names(&domain, keep)
    }

    /// The same search, with `registrable` as the last domain asked
    /// (`wpad.<registrable>`); `registrable` must be `domain` or a parent
    /// of it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] when `registrable` is not `domain` or one of its
    /// parents, or has fewer than two labels.
    pub fn registrable_domain(self, registrable: &str) -> Result<Self, Error> {
        let Some(domain) = self.names.first().and_then(|n| n.strip_prefix("wpad.")) else {
            return Err(fail(
                "search",
                "only a devolving search has a registrable domain".into(),
            ));
        };
        let domain = domain.to_owned();
        let registrable = checked_domain(registrable)?;
        let inside = domain == registrable || domain.ends_with(&format!(".{registrable}"));
        if !inside {
            return Err(fail(
                &format!("for {domain}"),
                format!("{registrable} is not {domain} or a parent of it"),
            ));
        }
        let keep = registrable.split('.').count();
        self.with_names(&domain, keep)
    }

    fn with_names(mut self, domain: &str, keep: usize) -> Result<Self, Error> {
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < keep || keep < 2 {
            return Err(fail(
                &format!("for {domain}"),
                format!("{domain} is a public suffix as far as can be told: no wpad name under it is safe to ask"),
            ));
        }
        self.names = (0..=labels.len() - keep)
            .map(|i| format!("wpad.{}", labels[i..].join(".")))
            .collect();
        Ok(self)
    }

    /// The names asked, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Looks the names up with `dns` instead of the OS resolver.
    #[must_use]
    pub fn with_resolver(mut self, dns: impl HostResolver) -> Self {
        self.dns = Arc::new(dns);
        self
    }

    /// Fetches under `fetcher`'s policy (default: one attempt of 10 s).
    #[must_use]
    pub fn with_fetcher(mut self, fetcher: Fetcher) -> Self {
        self.fetcher = fetcher;
        self
    }

    /// The port the scripts are served on (80 in every deployment; another
    /// for tests).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The first script found: each name in order is looked up, and the
    /// first that resolves and serves `/wpad.dat` with status 200 wins.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] listing what each name gave ("does not resolve",
    /// the fetch error) when none serves a script.
    pub fn discover(&self) -> Result<Discovered, Error> {
        let mut tried = Vec::new();
        for name in &self.names {
            let addrs = self.dns.resolve(name);
            let Some(ip) = addrs
                .iter()
                .find(|a| a.is_ipv4())
                .or(addrs.first())
                .copied()
            else {
                tried.push(format!("{name} does not resolve"));
                continue;
            };
            let url = format!("http://{name}{}/wpad.dat", self.port_suffix());
            let by_address = format!(
                "http://{}{}/wpad.dat",
                match ip {
                    IpAddr::V4(a) => a.to_string(),
                    IpAddr::V6(a) => format!("[{a}]"),
                },
                self.port_suffix()
            );
            let host = format!("{name}{}", self.port_suffix());
            match self
                .fetcher
                .with_retries(&url, || self.fetcher.get(&by_address, Some(&host)))
            {
                Ok(script) => return Ok(Discovered { url, script }),
                Err(e) => tried.push(format!("{name} ({ip}): {}", reason(&e))),
            }
        }
        Err(fail(
            "search",
            format!("found no script: {}", tried.join("; ")),
        ))
    }

    fn port_suffix(&self) -> String {
        if self.port == 80 {
            String::new()
        } else {
            format!(":{}", self.port)
        }
    }
}

/// The message of a fetch error, without its origin (the search names it).
fn reason(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Pac(why) => why.clone(),
        other => other.to_string(),
    }
}

/// `domain` lower-cased without a trailing dot, if it is a DNS name of at
/// least two labels.
fn checked_domain(domain: &str) -> Result<String, Error> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.split('.').count() >= 2
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok {
        Ok(d)
    } else {
        Err(fail(
            "search",
            format!("{domain:?} is not a DNS domain of two labels or more"),
        ))
    }
}

/// How many trailing labels of `domain` make its registrable domain.
fn registrable_labels(domain: &str) -> usize {
    let labels: Vec<&str> = domain.rsplit('.').collect();
    match labels.as_slice() {
        [tld, second, ..] if tld.len() == 2 && GENERIC_SECOND_LEVEL.contains(second) => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devolution_stops_at_the_registrable_domain() {
        let rows: &[(&str, &[&str])] = &[
            (
                "a.b.example.com",
                &[
                    "wpad.a.b.example.com",
                    "wpad.b.example.com",
                    "wpad.example.com",
                ],
            ),
            ("example.com", &["wpad.example.com"]),
            (
                "Corp.Example.COM.",
                &["wpad.corp.example.com", "wpad.example.com"],
            ),
            (
                "x.example.co.uk",
                &["wpad.x.example.co.uk", "wpad.example.co.uk"],
            ),
            (
                "x.example.com.au",
                &["wpad.x.example.com.au", "wpad.example.com.au"],
            ),
            ("x.example.de", &["wpad.x.example.de", "wpad.example.de"]),
            (
                "lab.example.io",
                &["wpad.lab.example.io", "wpad.example.io"],
            ),
        ];
        for (domain, want) in rows {
            let wpad = Wpad::devolving(domain).unwrap();
            assert_eq!(wpad.names(), *want, "{domain}");
        }
    }

    #[test]
    fn public_suffixes_and_bad_names_are_refused() {
        for domain in [
            "com", "co.uk", "com.au", "", "a..b", "-a.com", "a b.com", "x.com:80",
        ] {
            let err = Wpad::devolving(domain).unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Pac(_)), "{domain}");
            assert!(err.to_string().starts_with("WPAD"), "{domain}: {err}");
        }
    }

    #[test]
    fn the_registrable_domain_can_be_given() {
        let wpad = Wpad::devolving("a.b.corp.example.net")
            .unwrap()
            .registrable_domain("corp.example.net")
            .unwrap();
        assert_eq!(
            wpad.names(),
            [
                "wpad.a.b.corp.example.net",
                "wpad.b.corp.example.net",
                "wpad.corp.example.net"
            ]
        );
        // A guess the caller knows to be wrong the other way: one label more.
        let wpad = Wpad::devolving("x.example.co.uk")
            .unwrap()
            .registrable_domain("example.co.uk")
            .unwrap();
        assert_eq!(wpad.names(), ["wpad.x.example.co.uk", "wpad.example.co.uk"]);
        assert!(Wpad::devolving("a.example.com")
            .unwrap()
            .registrable_domain("other.com")
            .is_err());
        assert!(Wpad::new().registrable_domain("example.com").is_err());
    }
}

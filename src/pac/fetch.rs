//! Getting a PAC script from where a setting points: `file://` URLs and
//! paths always; `http://` and `https://` URLs with the `pac-fetch` feature
//! (through ureq with rustls, never through a proxy).
//!
//! A [`Fetcher`] holds the policy: a timeout per attempt (10 s), a number of
//! attempts (3) with a doubling pause between them (250 ms, then 500 ms),
//! and, for `https://`, the certificates to trust (the operating system's
//! store by default, as a corporate PAC server's certificate is usually
//! signed by the company's own CA; or exactly the PEM certificates given).
//! Only failures that may pass are tried again: a connection refused, reset
//! or timed out, a name that did not resolve, and the statuses 408, 429 and
//! 5xx. A 404, a certificate that does not verify, a script over 1 MiB or
//! not UTF-8 fail at once. Every error names the URL and, when it was
//! retried, how many attempts were made.
//!
//! Scripts from the network are as untrusted as anything else there: they
//! run in the sandbox of [`PacScript`](super::PacScript).
//!
//! ```
//! use proxyroute::pac::fetch::Fetcher;
//! # let dir = std::env::temp_dir().join(format!("proxyroute-doc-fetch-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("proxy.pac");
//! # std::fs::write(&path, "function FindProxyForURL(u, h) { return 'DIRECT'; }")?;
//! let url = format!("file://{}", path.display());
//! let script = Fetcher::new().fetch(&url)?;
//! assert!(script.contains("FindProxyForURL"));
//! let err = Fetcher::new().fetch("file:///nonexistent/proxy.pac").unwrap_err();
//! assert!(err.to_string().contains("PAC URL file:///nonexistent/proxy.pac: cannot read it"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use crate::error::{redact, Error, ErrorKind, Origin};

/// The largest script accepted.
pub const MAX_BYTES: u64 = 1 << 20;

/// How long one attempt may take when the caller does not say (the
/// resolver's own fetch of a system PAC URL).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An error about the script at `url`, any password in the URL as `***`.
pub(crate) fn fail(url: &str, why: String) -> Error {
    Error::new(
        ErrorKind::Pac(redact(&why)),
        Origin::setting(format!("PAC URL {}", redact(url))),
        "",
    )
}

/// The script at `location` under the default policy, each attempt within
/// `timeout`: `Fetcher::new().timeout(timeout).fetch(location)`.
///
/// # Errors
///
/// As [`Fetcher::fetch`].
pub fn fetch(location: &str, timeout: Duration) -> Result<String, Error> {
    Fetcher::new().timeout(timeout).fetch(location)
}

/// Which certificates an `https://` PAC server may present.
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(feature = "pac-fetch"), allow(dead_code))]
enum Roots {
    /// The operating system's trust store.
    #[default]
    System,
    /// Exactly these certificates (PEM).
    Pem(Vec<u8>),
}

/// How PAC scripts are fetched: timeout, attempts, pause, trusted roots.
#[derive(Clone, Debug)]
pub struct Fetcher {
    timeout: Duration,
    attempts: u32,
    pause: Duration,
    roots: Roots,
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher::new()
    }
}

/// One failed attempt: why, and whether another attempt may do better.
pub(crate) struct Failure {
    why: String,
    transient: bool,
}

impl Fetcher {
    /// The default policy: 10 s per attempt, 3 attempts, a 250 ms pause
    /// doubling after each, the system's trusted certificates.
    pub fn new() -> Self {
        Fetcher {
            timeout: DEFAULT_TIMEOUT,
            attempts: 3,
            pause: Duration::from_millis(250),
            roots: Roots::System,
        }
    }

    /// The time one attempt may take, connecting and reading included.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a transient failure is tried in all (at least once).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The pause before the second attempt; it doubles for each further one.
    #[must_use]
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// Trusts exactly the certificates in `pem` (one or more PEM blocks) for
    /// `https://` PAC URLs, instead of the system's store.
    #[must_use]
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Self {
        self.roots = Roots::Pem(pem.to_vec());
        self
    }

    /// The script at `location`: a `file://` URL, an absolute path, or (with
    /// the `pac-fetch` feature) an `http://` or `https://` URL, fetched
    /// directly, never through a proxy.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`], naming the URL: the file cannot be read, the
    /// server answers anything but 200 (after the attempts, for a transient
    /// status), the certificate does not verify, the script is larger than
    /// 1 MiB or not UTF-8 text, the scheme is not supported in this build.
    pub fn fetch(&self, location: &str) -> Result<String, Error> {
        let path = location
            .strip_prefix("file://")
            .or_else(|| location.starts_with('/').then_some(location));
        if let Some(path) = path {
            let bytes =
                std::fs::read(path).map_err(|e| fail(location, format!("cannot read it: {e}")))?;
            if bytes.len() as u64 > MAX_BYTES {
                return Err(fail(location, "the script is larger than 1 MiB".into()));
            }
            return String::from_utf8(bytes)
                .map_err(|_| fail(location, "the script is not UTF-8 text".into()));
        }
        let scheme_end = location.find("://").unwrap_or(0);
        if !matches!(
            location[..scheme_end].to_ascii_lowercase().as_str(),
            "http" | "https"
        ) {
            return Err(fail(
                location,
                "only file:// URLs, paths and (with the pac-fetch feature) http:// and https:// \
                 URLs can be fetched"
                    .into(),
            ));
        }
        self.with_retries(location, || self.get(location, None))
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts
    /// are spent; the error says how many were made.
    pub(crate) fn with_retries(
        &self,
        url: &str,
        mut attempt: impl FnMut() -> Result<String, Failure>,
    ) -> Result<String, Error> {
        let mut pause = self.pause;
        let mut made = 0;
        loop {
            made += 1;
            match attempt() {
                Ok(text) => return Ok(text),
                Err(f) if f.transient && made < self.attempts => {
                    std::thread::sleep(pause);
                    pause = pause.saturating_mul(2);
                }
                Err(f) if made > 1 => {
                    return Err(fail(url, format!("{} (after {made} attempts)", f.why)))
                }
                Err(f) => return Err(fail(url, f.why)),
            }
        }
    }

    /// The agent every fetch uses: never through a proxy, within the
    /// timeout, trusting the system's store or exactly the PEM roots given.
    #[cfg(feature = "pac-fetch")]
    fn agent(&self) -> Result<ureq::Agent, Failure> {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let permanent = |why: String| Failure {
            why,
            transient: false,
        };
        let roots = match &self.roots {
            Roots::System => RootCerts::PlatformVerifier,
            Roots::Pem(pem) => {
                let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|e| permanent(format!("the trusted certificates are not PEM: {e}")))?;
                if certs.is_empty() {
                    return Err(permanent(
                        "no certificate in the trusted certificates' PEM".into(),
                    ));
                }
                RootCerts::new_with_certs(&certs)
            }
        };
        Ok(ureq::Agent::config_builder()
            .proxy(None)
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .max_redirects(5)
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build()
            .into())
    }

    /// One GET of `url`, with `host` as the Host header if given.
    #[cfg(feature = "pac-fetch")]
    pub(crate) fn get(&self, url: &str, host: Option<&str>) -> Result<String, Failure> {
        let mut request = self.agent()?.get(url);
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        let mut response = request.call().map_err(|e| Failure {
            transient: transient(&e),
            why: format!("fetch failed: {e}"),
        })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Failure {
                why: format!("fetch failed: http status: {status}"),
                transient: status == 408 || status == 429 || status >= 500,
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_string()
            .map_err(|e| Failure {
                why: format!("cannot read the script (at most 1 MiB of UTF-8): {e}"),
                transient: false,
            })
    }

    #[cfg(not(feature = "pac-fetch"))]
    pub(crate) fn get(&self, url: &str, _host: Option<&str>) -> Result<String, Failure> {
        Err(Failure {
            why: format!(
                "{} PAC URLs need the pac-fetch feature",
                &url[..url.find("://").map_or(0, |i| i + 3)]
            ),
            transient: false,
        })
    }
}

/// Whether a failed request may succeed when tried again: the network
/// failed, not the server's answer or its certificate (a TLS failure
/// reaches here as an I/O error of kind `InvalidData`).
#[cfg(feature = "pac-fetch")]
fn transient(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as Io;
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            Io::ConnectionRefused
                | Io::ConnectionReset
                | Io::ConnectionAborted
                | Io::NotConnected
                | Io::BrokenPipe
                | Io::TimedOut
                | Io::Interrupted
                | Io::UnexpectedEof
        ),
        ureq::Error::Timeout(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        _ => false,
    }
}

// ===== conditional fetching (the `watch` feature's PAC refresh) =====

/// What a server said about a script's version: its `ETag` and
/// `Last-Modified`, sent back as `If-None-Match` and `If-Modified-Since`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validators {
    /// The `ETag` header, as sent.
    pub etag: Option<String>,
    /// The `Last-Modified` header, as sent.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Validators from an `ETag` and a `Last-Modified` value.
    pub fn new(etag: Option<String>, last_modified: Option<String>) -> Self {
        Validators {
            etag,
            last_modified,
        }
    }

    /// Whether there is anything to send.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The answer to [`Fetcher::fetch_if_changed`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fetched {
    /// `304 Not Modified`: the script held is current.
    NotModified {
        /// How long the answer stays fresh, as the server says
        /// (`Cache-Control: max-age`, else `Expires` minus `Date`); `None`
        /// when it says nothing.
        freshness: Option<Duration>,
    },
    /// A new script (or the first).
    Modified {
        /// The script.
        body: String,
        /// What to send next time.
        validators: Validators,
        /// How long it stays fresh, as for `NotModified`.
        freshness: Option<Duration>,
    },
}

impl Fetcher {
    /// The script at the `http://` or `https://` URL `url`, unless it is the
    /// version `validators` name (then [`Fetched::NotModified`]). One
    /// attempt, within the timeout: a caller that refreshes periodically
    /// tries again at its next refresh. `file://` URLs and paths are read
    /// as by [`fetch`](Fetcher::fetch), always as `Modified`.
    ///
    /// # Errors
    ///
    /// As [`fetch`](Fetcher::fetch), for the one attempt; a status other
    /// than 200 and 304 is an error.
    pub fn fetch_if_changed(&self, url: &str, validators: &Validators) -> Result<Fetched, Error> {
        let scheme_end = url.find("://").unwrap_or(0);
        if !matches!(
            url[..scheme_end].to_ascii_lowercase().as_str(),
            "http" | "https"
        ) {
            return self.fetch(url).map(|body| Fetched::Modified {
                body,
                validators: Validators::default(),
                freshness: None,
            });
        }
        self.get_if_changed(url, validators)
            .map_err(|f| fail(url, f.why))
    }

    #[cfg(feature = "pac-fetch")]
    fn get_if_changed(&self, url: &str, validators: &Validators) -> Result<Fetched, Failure> {
        let mut request = self.agent()?.get(url);
        if let Some(etag) = &validators.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(date) = &validators.last_modified {
            request = request.header("If-Modified-Since", date);
        }
        let mut response = request.call().map_err(|e| Failure {
            transient: transient(&e),
            why: format!("fetch failed: {e}"),
        })?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let freshness = freshness(
            header("cache-control").as_deref(),
            header("expires").as_deref(),
            header("date").as_deref(),
        );
        let status = response.status().as_u16();
        if status == 304 {
            return Ok(Fetched::NotModified { freshness });
        }
        if status != 200 {
            return Err(Failure {
                why: format!("fetch failed: http status: {status}"),
                transient: status == 408 || status == 429 || status >= 500,
            });
        }
        let validators = Validators::new(header("etag"), header("last-modified"));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_string()
            .map_err(|e| Failure {
                why: format!("cannot read the script (at most 1 MiB of UTF-8): {e}"),
                transient: false,
            })?;
        Ok(Fetched::Modified {
            body,
            validators,
            freshness,
        })
    }

    #[cfg(not(feature = "pac-fetch"))]
    fn get_if_changed(&self, url: &str, _validators: &Validators) -> Result<Fetched, Failure> {
        self.get(url, None).map(|body| Fetched::Modified {
            body,
            validators: Validators::default(),
            freshness: None,
        })
    }
}

/// How long a response stays fresh: `Cache-Control: max-age` (`no-cache`
/// and `no-store` mean now), else `Expires` minus `Date` (a bad or past
/// `Expires` means now), else `None`.
#[cfg_attr(not(feature = "pac-fetch"), allow(dead_code))]
pub(crate) fn freshness(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
) -> Option<Duration> {
    if let Some(cc) = cache_control {
        let mut max_age = None;
        for directive in cc.split(',').map(str::trim) {
            let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "no-cache" | "no-store" => return Some(Duration::ZERO),
                "max-age" => {
                    max_age = Some(
                        value
                            .trim()
                            .trim_matches('"')
                            .parse::<u64>()
                            .map_or(Duration::ZERO, Duration::from_secs),
                    )
                }
                _ => {}
            }
        }
        if max_age.is_some() {
            return max_age;
        }
    }
    let expires = expires?;
    let Some(expires) = http_date(expires) else {
        return Some(Duration::ZERO);
    };
    let now = date.and_then(http_date).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    Some(Duration::from_secs(expires.saturating_sub(now)))
}

/// Seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// the form HTTP servers send; `None` for anything else.
fn http_date(text: &str) -> Option<u64> {
    let mut parts = text.trim().split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: u64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60
    {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), March-based years.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y % 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod conditional_tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "0",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn freshness_rows() {
        let s = |n| Some(Duration::from_secs(n));
        let rows = [
            ("max-age", Some("max-age=60"), None, None, s(60)),
            (
                "max-age among others",
                Some("public, max-age=5, must-revalidate"),
                None,
                None,
                s(5),
            ),
            ("no-cache", Some("no-cache, max-age=60"), None, None, s(0)),
            ("no-store", Some("no-store"), None, None, s(0)),
            ("bad max-age", Some("max-age=soon"), None, None, s(0)),
            (
                "max-age beats Expires",
                Some("max-age=1"),
                Some("Thu, 01 Jan 1970 01:00:00 GMT"),
                Some("Thu, 01 Jan 1970 00:00:00 GMT"),
                s(1),
            ),
            (
                "Expires minus Date",
                None,
                Some("Thu, 01 Jan 1970 01:00:00 GMT"),
                Some("Thu, 01 Jan 1970 00:00:00 GMT"),
                s(3600),
            ),
            (
                "Expires in the past",
                None,
                Some("Thu, 01 Jan 1970 00:00:00 GMT"),
                Some("Thu, 01 Jan 1970 01:00:00 GMT"),
                s(0),
            ),
            ("Expires not a date", None, Some("0"), None, s(0)),
            ("nothing said", Some("public"), None, None, None),
        ];
        for (name, cc, expires, date, want) in rows {
            assert_eq!(freshness(cc, expires, date), want, "{name}");
        }
    }
}

//! Getting a PAC script from where a setting points: `file://` URLs and
//! paths always; `http://` URLs with the `pac-fetch` feature (through ureq,
//! never through a proxy). At most 1 MiB; an HTTP status other than 200 is an
//! error. Scripts from the network are as untrusted as anything else there:
//! they run in the sandbox of [`PacScript`](super::PacScript).

use std::time::Duration;

use crate::error::{Error, ErrorKind, Origin};

/// The largest script accepted.
pub const MAX_BYTES: u64 = 1 << 20;

/// How long a fetch may take when the caller does not say (the resolver's
/// own fetch of a system PAC URL).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn fail(url: &str, why: String) -> Error {
    Error::new(
        ErrorKind::Pac(why),
        Origin::setting(format!("PAC URL {url}")),
        "",
    )
}

/// The script at `location`: a `file://` URL, an absolute path, or (with
/// the `pac-fetch` feature) an `http://` URL, fetched directly within
/// `timeout`.
///
/// # Errors
///
/// [`ErrorKind::Pac`]: the file cannot be read, the server answers anything
/// but 200, the script is larger than 1 MiB or not UTF-8 text, the scheme
/// is not supported in this build; the message names the URL.
pub fn fetch(location: &str, timeout: Duration) -> Result<String, Error> {
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
    if location.starts_with("http://") {
        return http(location, timeout);
    }
    Err(fail(
        location,
        "only file:// URLs, paths and (with the pac-fetch feature) http:// URLs can be fetched"
            .into(),
    ))
}

#[cfg(feature = "pac-fetch")]
fn http(url: &str, timeout: Duration) -> Result<String, Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| fail(url, format!("fetch failed: {e}")))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_string()
        .map_err(|e| {
            fail(
                url,
                format!("cannot read the script (at most 1 MiB of UTF-8): {e}"),
            )
        })
}

#[cfg(not(feature = "pac-fetch"))]
fn http(url: &str, _timeout: Duration) -> Result<String, Error> {
    Err(fail(
        url,
        "http:// PAC URLs need the pac-fetch feature".into(),
    ))
}

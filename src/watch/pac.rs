//! A watched PAC script: when to fetch it again, and what is held.

use std::time::{Duration, Instant};

use crate::error::{redact, Error};
use crate::pac::fetch::{Fetched, Fetcher, Validators};
use crate::pac::wpad::{Discovered, Wpad};

/// How a watched PAC script is refreshed: the fetcher (one attempt per
/// refresh, 5 s by default), and the floor and ceiling that the server's
/// freshness is held between (5 s and 1 hour by default; a server that says
/// nothing gets the ceiling). A failed refresh is tried again after the
/// floor.
#[derive(Clone, Debug)]
pub struct PacPolicy {
    url: String,
    fetcher: Fetcher,
    floor: Duration,
    ceiling: Duration,
}

impl PacPolicy {
    /// The default policy for the script at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        PacPolicy {
            url: url.into(),
            fetcher: Fetcher::new().attempts(1).timeout(Duration::from_secs(5)),
            floor: Duration::from_secs(5),
            ceiling: Duration::from_secs(3600),
        }
    }

    /// The fetcher (its timeout bounds each refresh; attempts past the
    /// first are not made: the next refresh is the next attempt).
    #[must_use]
    pub fn fetcher(mut self, fetcher: Fetcher) -> Self {
        self.fetcher = fetcher.attempts(1);
        self
    }

    /// The shortest time between two refreshes, whatever the server says.
    #[must_use]
    pub fn floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The longest time a script is kept without asking the server again.
    #[must_use]
    pub fn ceiling(mut self, ceiling: Duration) -> Self {
        self.ceiling = ceiling;
        self
    }

    pub(crate) fn with_url(mut self, url: String) -> Self {
        self.url = url;
        self
    }

    /// The script's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn hold(&self, freshness: Option<Duration>) -> Duration {
        freshness
            .unwrap_or(self.ceiling)
            .clamp(self.floor, self.ceiling.max(self.floor))
    }
}

/// What a refresh found.
pub(crate) enum Refresh {
    /// The held script is still current (304, or the same text).
    Same,
    /// A new script.
    New,
    /// The fetch failed; the held script (if any) stays.
    Failed(Error),
}

/// A watched script: the policy, the text held and when to ask again.
pub(crate) struct PacEntry {
    pub(crate) policy: PacPolicy,
    pub(crate) text: Option<String>,
    pub(crate) error: Option<Error>,
    validators: Validators,
    pub(crate) due: Instant,
    /// Named by a system setting rather than by the caller.
    pub(crate) named_by_system: bool,
}

impl PacEntry {
    pub(crate) fn new(policy: PacPolicy, named_by_system: bool) -> Self {
        PacEntry {
            policy,
            text: None,
            error: None,
            validators: Validators::default(),
            due: Instant::now(),
            named_by_system,
        }
    }

    /// Asks the server (conditionally, once a script is held) and sets the
    /// next refresh.
    pub(crate) fn refresh(&mut self) -> Refresh {
        let validators = if self.text.is_some() {
            self.validators.clone()
        } else {
            Validators::default()
        };
        let result = self
            .policy
            .fetcher
            .fetch_if_changed(&self.policy.url, &validators);
        let now = Instant::now();
        match result {
            Ok(Fetched::NotModified { freshness }) => {
                self.due = now + self.policy.hold(freshness);
                self.error = None;
                Refresh::Same
            }
            Ok(Fetched::Modified {
                body,
                validators,
                freshness,
            }) => {
                self.due = now + self.policy.hold(freshness);
                self.validators = validators;
                self.error = None;
                if self.text.as_deref() == Some(body.as_str()) {
                    Refresh::Same
                } else {
                    self.text = Some(body);
                    Refresh::New
                }
            }
            Err(e) => {
                self.due = now + self.policy.floor;
                self.error = Some(e.clone());
                Refresh::Failed(e)
            }
        }
    }

    /// The script held, in a line: its length and version, or why none is.
    pub(crate) fn summary(&self) -> String {
        let url = redact(&self.policy.url);
        match &self.text {
            Some(text) => {
                let mut out = format!("PAC {url}: {} bytes", text.len());
                if let Some(etag) = &self.validators.etag {
                    out.push_str(&format!(", ETag {etag}"));
                }
                if let Some(date) = &self.validators.last_modified {
                    out.push_str(&format!(", Last-Modified {date}"));
                }
                out
            }
            None => format!("PAC {url}: no script held"),
        }
    }
}

/// A WPAD search run on a period, and what it found last.
pub(crate) struct WpadEntry {
    wpad: Wpad,
    every: Duration,
    found: Option<Discovered>,
    error: Option<Error>,
    pub(crate) due: Instant,
}

impl WpadEntry {
    pub(crate) fn new(wpad: Wpad, every: Duration) -> Self {
        WpadEntry {
            wpad,
            every,
            found: None,
            error: None,
            due: Instant::now(),
        }
    }

    /// Searches now and sets the next search.
    pub(crate) fn search(&mut self) -> Refresh {
        let result = self.wpad.discover();
        self.due = Instant::now() + self.every;
        match result {
            Ok(found) if self.found.as_ref() == Some(&found) => {
                self.error = None;
                Refresh::Same
            }
            Ok(found) => {
                self.error = None;
                self.found = Some(found);
                Refresh::New
            }
            Err(e) => {
                self.error = Some(e.clone());
                Refresh::Failed(e)
            }
        }
    }

    /// What the rebuild gets: the script found last, or the error.
    pub(crate) fn found(&self) -> Result<Discovered, Error> {
        match (&self.found, &self.error) {
            (Some(found), _) => Ok(found.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(crate::error::Error::new(
                crate::error::ErrorKind::Watch("WPAD has not been searched yet".to_owned()),
                crate::error::Origin::setting("watch"),
                "",
            )),
        }
    }

    pub(crate) fn summary(&self) -> String {
        match &self.found {
            Some(found) => format!("WPAD {}: {} bytes", redact(&found.url), found.script.len()),
            None => "WPAD: nothing found".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_is_held_between_floor_and_ceiling() {
        let p = PacPolicy::new("http://pac/")
            .floor(Duration::from_secs(2))
            .ceiling(Duration::from_secs(60));
        let s = Duration::from_secs;
        assert_eq!(p.hold(Some(s(0))), s(2));
        assert_eq!(p.hold(Some(s(30))), s(30));
        assert_eq!(p.hold(Some(s(86_400))), s(60));
        assert_eq!(p.hold(None), s(60));
    }
}

//! A PAC script as a layer of the [`Resolver`](crate::Resolver): where the
//! script comes from, the script once loaded, and the routes it gives.
//!
//! A script's answer is made at query time, so the route for it holds the
//! answer's hops in a shared slice ([`Route`] owns them): there is no cap
//! on distinct answers, and the memory held is the script's cache's bound.
//!
//! A script the caller gave is loaded already. A script the system settings
//! name by URL, or that WPAD finds, is fetched and loaded only when the
//! caller asks ([`Resolver::load`](crate::Resolver::load)); until then the
//! layer's routes are refused with an error saying so, never `DIRECT`.

use std::sync::{Arc, Mutex, OnceLock};

use super::{PacAnswer, PacScript};
use crate::error::{Error, ErrorKind, Origin};
use crate::route::{Route, RouteFuture};
use crate::target::Target;

/// What loading the layer does, when the script was not given loaded.
#[derive(Clone)]
pub(crate) enum Pending {
    /// Fetch the script at this URL (the system settings' PAC URL).
    #[cfg_attr(not(feature = "pac-fetch"), allow(dead_code))]
    Url {
        url: String,
        fetcher: super::fetch::Fetcher,
    },
    /// Search for the script with WPAD; when the search finds none, fetch
    /// `then` (WinINet: auto-detection first, then the script URL), errors
    /// naming the setting given with it.
    #[cfg(feature = "pac-fetch")]
    Wpad {
        wpad: super::wpad::Wpad,
        then: Option<(String, super::fetch::Fetcher, String)>,
    },
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Url { url, fetcher } => f
                .debug_struct("Url")
                .field("url", &crate::error::redact(url))
                .field("fetcher", fetcher)
                .finish(),
            #[cfg(feature = "pac-fetch")]
            Pending::Wpad { wpad, then } => f
                .debug_struct("Wpad")
                .field("wpad", wpad)
                .field(
                    "then",
                    &then.as_ref().map(|(url, _, _)| crate::error::redact(url)),
                )
                .finish(),
        }
    }
}

/// The script, once loaded, and where it came from.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) script: Result<PacScript, Error>,
    /// The script's location, for explanations.
    pub(crate) location: String,
}

/// A PAC script (or the error that kept it from loading), or what loading
/// it will do.
pub(crate) struct PacLayer {
    /// Where the script came from: `custom:pac` or the system key.
    pub(crate) source: String,
    loaded: OnceLock<Loaded>,
    pending: Option<Pending>,
    /// Serialises loads, so that two callers of `load` fetch once.
    loading: Mutex<()>,
    /// The refusal given until the script is loaded.
    not_loaded: Error,
    /// A traced copy of the script, loaded on the first explanation, that
    /// names the `return` that answered (the script itself runs as written).
    traced: OnceLock<Result<PacScript, Error>>,
    /// A failure means `DIRECT` (the caller asked for that), not a refusal.
    pub(crate) failure_direct: bool,
}

impl std::fmt::Debug for PacLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacLayer")
            .field("source", &self.source)
            .field("loaded", &self.loaded.get())
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

/// Fetches the script at `url` and loads it, errors naming `source`.
fn fetch_url(source: &str, url: &str, fetcher: &super::fetch::Fetcher) -> Loaded {
    let shown = crate::error::redact(url);
    let script = fetcher
        .fetch(url)
        .and_then(|text| PacScript::new(&text))
        .map_err(|e| e.with_origin(Origin::setting(format!("{source} ({shown})"))));
    Loaded {
        script,
        location: shown,
    }
}

impl PacLayer {
    /// A layer whose script is loaded (or failed to load) already.
    pub(crate) fn new(source: String, location: String, script: Result<PacScript, Error>) -> Self {
        let layer = PacLayer::pending(source, None);
        let _ = layer.loaded.set(Loaded { script, location });
        layer
    }

    /// A layer whose script `load` will fetch and load.
    pub(crate) fn pending(source: String, pending: Option<Pending>) -> Self {
        PacLayer {
            not_loaded: Error::new(
                ErrorKind::Pac(
                    "the PAC script is not loaded yet: call Resolver::load (or load_async) \
                     first; nothing is sent directly in its place"
                        .to_owned(),
                ),
                Origin::setting(source.clone()),
                "",
            ),
            source,
            loaded: OnceLock::new(),
            pending,
            loading: Mutex::new(()),
            traced: OnceLock::new(),
            failure_direct: false,
        }
    }

    /// The loaded script, or why there is none (not loaded yet included).
    pub(crate) fn script(&self) -> Result<&PacScript, Error> {
        match self.loaded.get() {
            Some(loaded) => loaded.script.as_ref().map_err(Clone::clone),
            None => Err(self.not_loaded.clone()),
        }
    }

    /// Whether the script is loaded (or failed to load: loading happened).
    pub(crate) fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// The script's location, or what loading will fetch.
    pub(crate) fn location(&self) -> String {
        match (self.loaded.get(), &self.pending) {
            (Some(loaded), _) => loaded.location.clone(),
            (None, Some(Pending::Url { url, .. })) => crate::error::redact(url),
            #[cfg(feature = "pac-fetch")]
            (None, Some(Pending::Wpad { .. })) => "WPAD".to_owned(),
            (None, None) => "(not loaded)".to_owned(),
        }
    }

    /// Fetches and loads the script, unless it is loaded already: blocks
    /// for the fetch (the fetcher's attempts, each within its timeout) and
    /// the script's load budget. The outcome is kept: a failure refuses the
    /// layer's routes from then on.
    pub(crate) fn load(&self) -> Result<(), Error> {
        let _guard = self
            .loading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let loaded = match self.loaded.get() {
            Some(loaded) => loaded,
            None => {
                let fresh = self.fetch_and_load();
                self.loaded.get_or_init(|| fresh)
            }
        };
        loaded.script.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    fn fetch_and_load(&self) -> Loaded {
        let source = &self.source;
        match &self.pending {
            None => Loaded {
                script: Err(self.not_loaded.clone()),
                location: "(nothing to load)".to_owned(),
            },
            Some(Pending::Url { url, fetcher }) => fetch_url(source, url, fetcher),
            #[cfg(feature = "pac-fetch")]
            Some(Pending::Wpad { wpad, then }) => match (wpad.discover(), then) {
                (Ok(found), _) => Loaded {
                    script: PacScript::new(&found.script).map_err(|e| {
                        e.with_origin(Origin::setting(format!("{source} ({})", found.url)))
                    }),
                    location: found.url,
                },
                // WinINet: the script URL next, when the settings name one.
                (Err(e), Some((url, fetcher, then_source))) => {
                    let loaded = fetch_url(then_source, url, fetcher);
                    Loaded {
                        location: format!("{} (auto-detection found none: {e})", loaded.location),
                        ..loaded
                    }
                }
                (Err(e), None) => Loaded {
                    script: Err(e),
                    location: "WPAD".to_owned(),
                },
            },
        }
    }

    /// Asks the script (or its cache), owning the answer.
    pub(crate) fn answer(&self, target: &Target) -> Result<PacAnswer, Error> {
        let script = self.script()?;
        script
            .find_proxy_traced(target)
            .map_err(|e| e.with_origin(Origin::setting(self.source.clone())))
    }

    /// As [`answer`](PacLayer::answer), with the `return` that answered:
    /// the script answers (so `explain` and `resolve` agree, cache and
    /// all), and a traced copy of it, loaded on first use, is asked which
    /// branch gives that answer. No branch is named when the copy cannot be
    /// loaded or answers otherwise (a script whose answer depends on its
    /// state or the time).
    pub(crate) fn explained(&self, target: &Target) -> Result<PacAnswer, Error> {
        let answer = self.answer(target)?;
        if answer.branch().is_some() {
            return Ok(answer);
        }
        let Some(Ok(script)) = self.loaded.get().map(|l| &l.script) else {
            return Ok(answer);
        };
        let twin = self.traced.get_or_init(|| script.twin(true));
        let branch = twin
            .as_ref()
            .ok()
            .and_then(|twin| twin.find_proxy_traced(target).ok())
            .filter(|traced| traced.raw() == answer.raw())
            .and_then(|traced| traced.branch().cloned());
        Ok(answer.with_branch(branch))
    }

    /// As [`route`](PacLayer::route), without blocking: a cached answer (or
    /// a refusal) is ready at once; otherwise the script runs on one of the
    /// async dispatch threads, which completes the future through its waker.
    pub(crate) fn route_async(&self, target: &Target) -> RouteFuture<'_> {
        let script = match self.loaded.get().map(|l| &l.script) {
            Some(Ok(script)) => script,
            _ => return RouteFuture::ready(self.route(target)),
        };
        if let Some(hops) = script.cached_hops(target) {
            return RouteFuture::ready(Route::shared(hops));
        }
        let (tx, rx) = super::oneshot::channel();
        let (script, target) = (script.clone(), target.clone());
        let (source, failure_direct) = (self.source.clone(), self.failure_direct);
        let queued = super::oneshot::dispatch::submit(move || {
            let route = match script.find_proxy_traced(&target) {
                Ok(answer) => Route::shared(answer.result().shared_hops()),
                Err(_) if failure_direct => Route::DIRECT,
                Err(error) => {
                    Route::refused_shared(Arc::new(error.with_origin(Origin::setting(source))))
                }
            };
            tx.send(route);
        });
        if !queued {
            return RouteFuture::ready(Route::refused_shared(Arc::new(Error::new(
                ErrorKind::Pac(format!(
                    "{} evaluations are waiting already; not queueing another",
                    super::oneshot::dispatch::QUEUE
                )),
                Origin::setting(self.source.clone()),
                "",
            ))));
        }
        RouteFuture::waiting(rx, self.source.clone())
    }

    /// The route for `target`: the answer's hops, shared with the cache.
    pub(crate) fn route(&self, target: &Target) -> Route<'_> {
        let script = match self.loaded.get().map(|l| &l.script) {
            Some(Ok(script)) => script,
            // Not loaded is the caller's to fix, never a failure to go
            // direct on.
            None => return Route::refused(&self.not_loaded),
            Some(Err(_)) if self.failure_direct => return Route::DIRECT,
            Some(Err(error)) => return Route::refused(error),
        };
        if let Some(hops) = script.cached_hops(target) {
            return Route::shared(hops);
        }
        match script.find_proxy_traced(target) {
            Ok(answer) => Route::shared(answer.result().shared_hops()),
            Err(_) if self.failure_direct => Route::DIRECT,
            Err(error) => Route::refused_shared(Arc::new(
                error.with_origin(Origin::setting(self.source.clone())),
            )),
        }
    }
}

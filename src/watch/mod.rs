//! Following changes (feature `watch`): a [`Watcher`] rebuilds a
//! [`SharedResolver`]'s resolver from the caller's own configuration when a
//! source of settings changes, and swaps it in.
//!
//! A long-running program builds its resolver once; when the user switches
//! the system proxy, or the company updates its PAC script, the watcher
//! notices, calls the program's `rebuild` function after a short debounce,
//! and [`store`](SharedResolver::store)s the result. Every change is reported
//! to a callback as a [`Change`]: which sources changed, their settings
//! before and after in the crate's own summary (passwords as `***`), and the
//! rebuild's result.
//!
//! **Failures keep the last good resolver.** A rebuild that returns an error
//! (an unreadable file, a half-written one, a PAC script that no longer
//! loads) or panics is reported, and the resolver in place stays: never a
//! silent switch to `DIRECT`. A PAC refresh that fails keeps the script held.
//!
//! # Sources
//!
//! | [`Source`] | follows |
//! |---|---|
//! | [`Source::gnome`] | the dconf database `~/.config/dconf/user` and the keyfile backend's `~/.config/glib-2.0/settings/keyfile`; summarised through `gsettings` |
//! | [`Source::kde`] | every `kioslaverc` of the XDG cascade: created, changed, replaced, removed |
//! | [`Source::sysconfig`] | `/etc/sysconfig/proxy`, or [`Source::sysconfig_at`] a path |
//! | [`Source::file`] | a file of the application's (a `ProxySettings` file, a Postman proxy list) |
//! | [`Source::macos`] | `scutil --proxy`, polled (the documented fallback for the dynamic store's notification) |
//! | [`Source::windows`] | the `Internet Settings` values, read and compared on each poll; a registry change notification (`RegNotifyChangeKeyValue` on the key in HKCU and HKLM) wakes the watcher at once (Windows, feature `system-windows`) |
//! | `Source::pac` (feature `pac-fetch`) | a PAC URL, fetched again when its HTTP freshness runs out, conditionally |
//! | `Source::wpad` (feature `pac-fetch`) | a WPAD search, run again every period |
//!
//! A system source whose settings name a PAC URL (`http://` or `https://`)
//! has that script fetched and followed too; the rebuild reads every script
//! held through [`Inputs::pac`].
//!
//! # How changes are seen
//!
//! One thread polls every source at an interval (250 ms by default;
//! [`WatcherBuilder::poll_interval`]): a file is compared by existence, type,
//! length, modification time and content (hashed; files over 4 MiB by length
//! and modification time only), so a file replaced by a rename, removed,
//! recreated, turned into a directory, or rewritten with the same length
//! within the clock's resolution is seen. After a change, the
//! watcher waits for the sources to be quiet for the debounce (100 ms), but
//! never longer than the maximum delay (1 s) after the first change, so a
//! file rewritten hundreds of times a second causes about one rebuild per
//! second, not hundreds. Polling is portable; files of proxy settings are
//! small, so reading them four times a second costs little. On Linux, the
//! watcher also asks inotify (through the `notify` crate, whose one thread
//! joins the watcher's) for events in the directories of the watched files,
//! or their nearest existing ancestors: an event wakes the thread to check
//! at once, so changes are seen within milliseconds; the check, not the
//! event, decides what changed, so a missed or coalesced event costs only
//! latency, never a change.
//!
//! # Threads and stopping
//!
//! One thread per watcher. Dropping the [`Watcher`] tells it to stop and
//! waits for it at most the stop timeout (2 s by default): the thread checks
//! for the stop between every step, and the only long steps are a PAC fetch
//! (bounded by the fetcher's timeout), a `gsettings` or `scutil` run (5 s)
//! and the caller's rebuild. A thread still busy then is left to finish on
//! its own; it stores nothing after the stop.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//! use proxyroute::watch::{Source, Watcher};
//! use proxyroute::{Resolver, SharedResolver, Target};
//! # let dir = std::env::temp_dir().join(format!("proxyroute-doc-watch-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let file = dir.join("proxy.txt");
//! std::fs::write(&file, "http://old-proxy:3128")?;
//!
//! // The program's own configuration: here, one proxy URL in a file.
//! let path = file.clone();
//! let rebuild = move |_: &proxyroute::watch::Inputs| {
//!     let text = std::fs::read_to_string(&path).unwrap_or_default();
//!     Resolver::builder().proxy(text.trim()).build()
//! };
//! let shared = SharedResolver::new(rebuild(&Default::default())?);
//! let (tx, changes) = std::sync::mpsc::channel();
//! let watcher = Watcher::builder(shared.clone(), rebuild)
//!     .watch(Source::file(&file))
//!     .poll_interval(Duration::from_millis(20))
//!     .debounce(Duration::from_millis(20))
//!     .on_change(move |change| drop(tx.send(change.to_string())))
//!     .start()?;
//!
//! let target = Target::parse("https://example.com/")?;
//! std::fs::write(&file, "http://new-proxy:3128")?;
//! let deadline = Instant::now() + Duration::from_secs(10);
//! while shared.load().resolve(&target).to_string() != "http://new-proxy:3128" {
//!     assert!(Instant::now() < deadline, "the change was not followed");
//!     std::thread::sleep(Duration::from_millis(10));
//! }
//! let report = changes.recv_timeout(Duration::from_secs(10))?;
//! assert!(report.contains("resolver 2 in place"), "{report}");
//!
//! // A bad file keeps the last good resolver, and says why.
//! std::fs::write(&file, "ftp://not-a-proxy")?;
//! let report = changes.recv_timeout(Duration::from_secs(10))?;
//! assert!(report.contains("the last good resolver stays"), "{report}");
//! assert_eq!(shared.load().resolve(&target).to_string(), "http://new-proxy:3128");
//! drop(watcher); // stops the thread
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod json;
#[cfg(feature = "pac-fetch")]
mod pac;
#[cfg(all(windows, feature = "system-windows"))]
mod registry;
mod routes;
mod source;
mod worker;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Origin};
use crate::shared::SharedResolver;
use crate::Resolver;
use worker::{events, run_rebuild, Msg, State, Worker, MESSAGES};

#[cfg(feature = "pac-fetch")]
pub use pac::PacPolicy;
pub use routes::{RouteChange, RouteChanges};
pub use source::Source;

type Rebuild = Box<dyn Fn(&Inputs) -> Result<Resolver, Error> + Send>;
type Report = Box<dyn FnMut(&Change) + Send>;

/// What the watcher holds for the rebuild: the PAC scripts it fetched.
#[derive(Debug, Default)]
pub struct Inputs {
    pac: Vec<(String, Option<String>, Option<Error>)>,
    #[cfg(feature = "pac-fetch")]
    wpad: Option<Result<crate::pac::wpad::Discovered, Error>>,
}

impl Inputs {
    /// The script the last successful WPAD search found (a
    /// `Source::wpad`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Watch`] when no WPAD source is watched; the search's
    /// error when every search so far found nothing.
    #[cfg(feature = "pac-fetch")]
    pub fn wpad(&self) -> Result<&crate::pac::wpad::Discovered, Error> {
        match &self.wpad {
            Some(Ok(found)) => Ok(found),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Error::new(
                ErrorKind::Watch("no WPAD source is watched".to_owned()),
                Origin::setting("watch"),
                "",
            )),
        }
    }

    /// The script last fetched from `url` (a `Source::pac` URL, or one a
    /// system setting names).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Watch`] when no script from `url` is held: the URL is
    /// not watched, or every fetch so far failed (that error is included).
    pub fn pac(&self, url: &str) -> Result<&str, Error> {
        match self.pac.iter().find(|(u, _, _)| u == url) {
            Some((_, Some(text), _)) => Ok(text),
            Some((_, None, Some(e))) => Err(e.clone()),
            _ => Err(Error::new(
                ErrorKind::Watch("no script is held for this PAC URL".to_owned()),
                Origin::setting("watch"),
                url,
            )),
        }
    }
}

/// One source's settings before and after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceChange {
    source: String,
    before: String,
    after: String,
}

impl SourceChange {
    /// The source's label ([`Source::label`]).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its settings before, in the crate's summary (passwords as `***`).
    pub fn before(&self) -> &str {
        &self.before
    }

    /// Its settings now.
    pub fn after(&self) -> &str {
        &self.after
    }
}

/// A change the watcher saw, and what it did about it.
#[derive(Clone, Debug)]
pub struct Change {
    sources: Vec<SourceChange>,
    result: Result<u64, Error>,
}

impl Change {
    /// The sources that changed.
    pub fn sources(&self) -> &[SourceChange] {
        &self.sources
    }

    /// The generation of the resolver swapped in, or the error that kept
    /// the last good one in place (a failed rebuild, a failed PAC refresh).
    pub fn result(&self) -> Result<u64, &Error> {
        self.result.as_ref().copied()
    }
}

impl Change {
    /// The change as one line of JSON: `{"change": DISPLAY, "sources":
    /// [{"source", "before", "after"}], "generation": N}`, or with
    /// `"error": TEXT` instead of the generation. Passwords are `***`.
    ///
    /// ```
    /// # use proxyroute::watch::Change;
    /// fn print(change: &Change) {
    ///     println!("{}", change.to_json());
    /// }
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        json::member(&mut out, "change", Some(&self.to_string()));
        out.push_str(", \"sources\": [");
        for (i, s) in self.sources.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push('{');
            json::member(&mut out, "source", Some(&s.source));
            json::member(&mut out, "before", Some(&s.before));
            json::member(&mut out, "after", Some(&s.after));
            out.push('}');
        }
        out.push(']');
        match &self.result {
            Ok(generation) => {
                let _ =
                    fmt::Write::write_fmt(&mut out, format_args!(", \"generation\": {generation}"));
            }
            Err(e) => json::member(&mut out, "error", Some(&e.to_string())),
        }
        out.push('}');
        out
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if s.before == s.after {
                write!(f, "{} changed: {}", s.source, s.after)?;
            } else {
                write!(f, "{} changed: {} -> {}", s.source, s.before, s.after)?;
            }
        }
        match &self.result {
            Ok(generation) => write!(f, "; resolver {generation} in place"),
            Err(e) => write!(f, "; the last good resolver stays: {e}"),
        }
    }
}

/// Sets up a [`Watcher`]: the sources, the timings, the report.
#[must_use]
pub struct WatcherBuilder {
    shared: SharedResolver,
    rebuild: Rebuild,
    sources: Vec<Source>,
    poll: Duration,
    debounce: Duration,
    max_delay: Duration,
    stop_timeout: Duration,
    report: Option<Report>,
    #[cfg(feature = "pac-fetch")]
    named_pac: PacPolicy,
}

impl fmt::Debug for WatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatcherBuilder")
            .field("sources", &self.sources)
            .field("poll", &self.poll)
            .field("debounce", &self.debounce)
            .field("max_delay", &self.max_delay)
            .finish_non_exhaustive()
    }
}

impl WatcherBuilder {
    /// Follows `source` too.
    pub fn watch(mut self, source: Source) -> Self {
        self.sources.push(source);
        self
    }

    /// How often the sources are checked (250 ms by default).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll = every.max(Duration::from_millis(1));
        self
    }

    /// How long the sources must be quiet after a change before the
    /// rebuild (100 ms by default).
    pub fn debounce(mut self, quiet: Duration) -> Self {
        self.debounce = quiet;
        self
    }

    /// The longest wait after the first change of a burst before the
    /// rebuild, quiet or not (1 s by default).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The policy for PAC scripts that system settings name (its URL is
    /// not used): the default [`PacPolicy`] unless set.
    #[cfg(feature = "pac-fetch")]
    pub fn named_pac_policy(mut self, policy: PacPolicy) -> Self {
        self.named_pac = policy;
        self
    }

    /// How long dropping the watcher waits for its thread (2 s by default).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Calls `report` on the watcher's thread for every change (a panic in
    /// it is caught). To get changes on another thread, send them down a
    /// channel from here.
    pub fn on_change(mut self, report: impl FnMut(&Change) + Send + 'static) -> Self {
        self.report = Some(Box::new(report));
        self
    }

    /// Sends every change down `changes` (a clone of each; a receiver that
    /// is gone is ignored): the channel form of
    /// [`on_change`](WatcherBuilder::on_change).
    pub fn send_to(self, changes: mpsc::Sender<Change>) -> Self {
        self.on_change(move |change| {
            let _ = changes.send(change.clone());
        })
    }

    /// Reads every source once (fetching any PAC script, within its
    /// fetcher's timeout), rebuilds and swaps the result in, then starts the
    /// thread that follows the sources.
    ///
    /// # Errors
    ///
    /// The first rebuild's error (or its panic, as [`ErrorKind::Watch`]);
    /// the shared resolver is left as it was, and no thread is started.
    pub fn start(self) -> Result<Watcher, Error> {
        let mut state = State::new(self.sources);
        // Bounded: file events that come faster than the thread takes them
        // are dropped (one waiting wake is as good as many).
        let (stop_tx, stop_rx) = mpsc::sync_channel::<Msg>(MESSAGES);
        // File events are followed before the first read, so that nothing
        // written after `start` returns goes unseen.
        let mut events = events::Events::new(stop_tx.clone());
        events.follow(&state.files());
        #[cfg(feature = "pac-fetch")]
        {
            state.named_pac = self.named_pac;
        }
        state.prime();
        let rebuilds = Arc::new(AtomicU64::new(0));
        let inputs = state.inputs();
        let resolver = run_rebuild(&self.rebuild, &inputs)?;
        rebuilds.fetch_add(1, Ordering::Relaxed);
        self.shared.store(resolver);
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut worker = Worker {
            shared: self.shared,
            rebuild: self.rebuild,
            report: self.report,
            state,
            poll: self.poll,
            debounce: self.debounce,
            max_delay: self.max_delay,
            rebuilds: Arc::clone(&rebuilds),
            stopped: Arc::clone(&stopped),
        };
        let thread = std::thread::Builder::new()
            .name("proxyroute-watch".to_owned())
            .spawn(move || {
                let _done = done_tx;
                worker.run(&stop_rx, events);
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Watch(format!("cannot start the watcher thread: {e}")),
                    Origin::setting("watch"),
                    "",
                )
            })?;
        Ok(Watcher {
            stop: Some(stop_tx),
            done: done_rx,
            thread: Some(thread),
            stop_timeout: self.stop_timeout,
            rebuilds,
            stopped,
        })
    }
}

/// A running watcher; dropping it stops its thread. See the
/// [module](self) docs.
#[must_use = "dropping the Watcher stops it"]
pub struct Watcher {
    stop: Option<mpsc::SyncSender<Msg>>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
    stop_timeout: Duration,
    rebuilds: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("rebuilds", &self.rebuilds())
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Sets up a watcher that swaps the resolvers `rebuild` makes into
    /// `shared`. `rebuild` builds from the caller's own configuration (it
    /// reads the sources again itself: the watcher only says when); it gets
    /// the PAC scripts the watcher fetched.
    pub fn builder<F>(shared: SharedResolver, rebuild: F) -> WatcherBuilder
    where
        F: Fn(&Inputs) -> Result<Resolver, Error> + Send + 'static,
    {
        WatcherBuilder {
            shared,
            rebuild: Box::new(rebuild),
            sources: Vec::new(),
            poll: Duration::from_millis(250),
            debounce: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            stop_timeout: Duration::from_secs(2),
            report: None,
            #[cfg(feature = "pac-fetch")]
            named_pac: PacPolicy::new(""),
        }
    }

    /// How many times the rebuild ran, the first one included.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    /// Stops the thread, waiting at most the stop timeout; `true` when the
    /// thread ended within it.
    pub fn stop(mut self) -> bool {
        self.shutdown()
    }

    fn shutdown(&mut self) -> bool {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(stop) = self.stop.take() {
            // Never blocks: when the queue is full, the thread reads a
            // message at once and then sees the flag.
            let _ = stop.try_send(Msg::Stop);
        }
        let Some(thread) = self.thread.take() else {
            return true;
        };
        match self.done.recv_timeout(self.stop_timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            _ => {
                let _ = thread.join();
                true
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

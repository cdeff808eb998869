//! The watcher's thread: what it holds of each source, how it checks them,
//! debounces, refreshes PAC scripts and WPAD, rebuilds and reports.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

#[cfg(feature = "pac-fetch")]
use super::{pac, PacPolicy};
use super::{Change, Inputs, Rebuild, Report, Source, SourceChange};
use crate::error::{Error, ErrorKind, Origin};
use crate::shared::SharedResolver;
use crate::Resolver;

/// Runs the caller's rebuild, a panic caught and turned into an error.
pub(super) fn run_rebuild(rebuild: &Rebuild, inputs: &Inputs) -> Result<Resolver, Error> {
    match catch_unwind(AssertUnwindSafe(|| rebuild(inputs))) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-text payload".to_owned());
            Err(Error::new(
                ErrorKind::Watch(format!("the rebuild panicked: {what}")),
                Origin::setting("watch rebuild"),
                "",
            ))
        }
    }
}

/// What the watcher's thread is told.
pub(super) enum Msg {
    /// Stop now.
    Stop,
    /// A watched directory had an event: check the sources.
    #[cfg_attr(
        not(any(
            target_os = "linux",
            target_os = "android",
            all(windows, feature = "system-windows")
        )),
        allow(dead_code)
    )]
    Wake,
}

/// How many messages may wait for the thread.
pub(super) const MESSAGES: usize = 16;

/// The shortest time between two checks when file events keep coming.
const MIN_GAP: Duration = Duration::from_millis(10);

/// File events where the OS has them cheaply (inotify on Linux, through
/// `notify`): they only wake the thread early; the checks decide.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) mod events {
    use std::path::{Path, PathBuf};
    use std::sync::mpsc::SyncSender;

    use notify::Watcher as _;

    pub(in crate::watch) struct Events {
        watcher: Option<notify::RecommendedWatcher>,
    }

    impl Events {
        pub(in crate::watch) fn new(wake: SyncSender<super::Msg>) -> Self {
            let watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
                // A full queue already holds a wake: drop this one.
                let _ = wake.try_send(super::Msg::Wake);
            });
            Events {
                watcher: watcher.ok(),
            }
        }

        /// Watches the directory of each file, or its nearest existing
        /// ancestor (so that a directory created later is seen).
        pub(in crate::watch) fn follow(&mut self, files: &[PathBuf]) {
            let Some(watcher) = &mut self.watcher else {
                return;
            };
            let mut dirs: Vec<&Path> = Vec::new();
            for file in files {
                let mut dir = file.parent();
                while let Some(d) = dir {
                    if d.is_dir() {
                        break;
                    }
                    dir = d.parent();
                }
                if let Some(d) = dir {
                    if !dirs.contains(&d) {
                        dirs.push(d);
                    }
                }
            }
            for dir in dirs {
                // A failure leaves the polling to see the change.
                let _ = watcher.watch(dir, notify::RecursiveMode::NonRecursive);
            }
        }
    }
}

/// Elsewhere file changes are seen by the polling alone; on Windows (with
/// `system-windows`) a registry change notification on the Internet Settings
/// key wakes the thread at once (one more thread, stopped with the watcher).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) mod events {
    pub(in crate::watch) struct Events {
        #[cfg(all(windows, feature = "system-windows"))]
        _registry: Option<crate::watch::registry::RegistryEvents>,
    }

    impl Events {
        pub(in crate::watch) fn new(wake: std::sync::mpsc::SyncSender<super::Msg>) -> Self {
            #[cfg(all(windows, feature = "system-windows"))]
            return Events {
                _registry: crate::watch::registry::RegistryEvents::start(wake),
            };
            #[cfg(not(all(windows, feature = "system-windows")))]
            {
                let _ = wake;
                Events {}
            }
        }

        pub(in crate::watch) fn follow(&mut self, _files: &[std::path::PathBuf]) {}
    }
}

/// A source and what the watcher last saw of it.
struct Watched {
    next_check: Instant,
    source: Source,
    fingerprint: u64,
    summary: String,
    named_pac: Option<String>,
}

pub(super) struct State {
    watched: Vec<Watched>,
    #[cfg(feature = "pac-fetch")]
    pacs: Vec<pac::PacEntry>,
    #[cfg(feature = "pac-fetch")]
    pub(super) named_pac: PacPolicy,
    #[cfg(feature = "pac-fetch")]
    wpad: Option<pac::WpadEntry>,
}

impl State {
    pub(super) fn new(sources: Vec<Source>) -> Self {
        #[cfg(feature = "pac-fetch")]
        let mut pacs = Vec::new();
        #[cfg(feature = "pac-fetch")]
        let mut wpad = None;
        let mut watched = Vec::new();
        for source in sources {
            #[cfg(feature = "pac-fetch")]
            if let super::source::Kind::Pac(policy) = &source.kind {
                pacs.push(pac::PacEntry::new(policy.clone(), false));
                continue;
            }
            #[cfg(feature = "pac-fetch")]
            if let super::source::Kind::Wpad(search, every) = &source.kind {
                wpad = Some(pac::WpadEntry::new(search.clone(), *every));
                continue;
            }
            watched.push(Watched {
                next_check: Instant::now(),
                source,
                fingerprint: 0,
                summary: String::new(),
                named_pac: None,
            });
        }
        State {
            watched,
            #[cfg(feature = "pac-fetch")]
            pacs,
            #[cfg(feature = "pac-fetch")]
            wpad,
            #[cfg(feature = "pac-fetch")]
            named_pac: PacPolicy::new(""),
        }
    }

    /// Reads every source for the first time.
    pub(super) fn prime(&mut self) {
        for w in &mut self.watched {
            w.fingerprint = w.source.fingerprint();
            let (summary, pac) = w.source.summary();
            w.summary = summary;
            w.named_pac = pac;
        }
        #[cfg(feature = "pac-fetch")]
        {
            self.follow_named_pacs(&mut Vec::new());
            for entry in &mut self.pacs {
                entry.refresh();
            }
            if let Some(wpad) = &mut self.wpad {
                wpad.search();
            }
        }
    }

    /// Adds the PAC URLs system settings name, drops those no longer named;
    /// new ones are fetched now, and listed in `changes`.
    #[cfg(feature = "pac-fetch")]
    fn follow_named_pacs(&mut self, changes: &mut Vec<SourceChange>) {
        let named: Vec<String> = self
            .watched
            .iter()
            .filter_map(|w| w.named_pac.clone())
            .filter(|u| {
                let lower = u.to_ascii_lowercase();
                lower.starts_with("http://") || lower.starts_with("https://")
            })
            .collect();
        self.pacs
            .retain(|p| !p.named_by_system || named.iter().any(|u| u == p.policy.url()));
        for url in named {
            if self.pacs.iter().any(|p| p.policy.url() == url) {
                continue;
            }
            let mut entry = pac::PacEntry::new(self.named_pac.clone().with_url(url), true);
            let before = entry.summary();
            entry.refresh();
            changes.push(SourceChange {
                source: format!("pac:{}", crate::error::redact(entry.policy.url())),
                before,
                after: entry.summary(),
            });
            self.pacs.push(entry);
        }
    }

    /// Every file the sources are checked through.
    pub(super) fn files(&self) -> Vec<std::path::PathBuf> {
        self.watched.iter().flat_map(|w| w.source.files()).collect()
    }

    pub(super) fn inputs(&self) -> Inputs {
        Inputs {
            #[cfg(feature = "pac-fetch")]
            pac: self
                .pacs
                .iter()
                .map(|p| (p.policy.url().to_owned(), p.text.clone(), p.error.clone()))
                .collect(),
            #[cfg(not(feature = "pac-fetch"))]
            pac: Vec::new(),
            #[cfg(feature = "pac-fetch")]
            wpad: self.wpad.as_ref().map(|w| w.found()),
        }
    }
}

pub(super) struct Worker {
    pub(super) shared: SharedResolver,
    pub(super) rebuild: Rebuild,
    pub(super) report: Option<Report>,
    pub(super) state: State,
    pub(super) poll: Duration,
    pub(super) debounce: Duration,
    pub(super) max_delay: Duration,
    pub(super) rebuilds: Arc<AtomicU64>,
    pub(super) stopped: Arc<AtomicBool>,
}

impl Worker {
    pub(super) fn run(&mut self, messages: &mpsc::Receiver<Msg>, mut events: events::Events) {
        let mut last_poll = Instant::now();
        let mut woken = false;
        let mut next_poll = last_poll + self.poll;
        // Sources changed since the last rebuild, and PAC changes seen.
        let mut pending: Vec<usize> = Vec::new();
        let mut pac_changes: Vec<SourceChange> = Vec::new();
        let mut burst: Option<(Instant, Instant)> = None;
        loop {
            let now = Instant::now();
            let mut wake = next_poll;
            #[cfg(feature = "pac-fetch")]
            for entry in &self.state.pacs {
                wake = wake.min(entry.due);
            }
            #[cfg(feature = "pac-fetch")]
            if let Some(wpad) = &self.state.wpad {
                wake = wake.min(wpad.due);
            }
            if let Some((first, last)) = burst {
                wake = wake.min((last + self.debounce).min(first + self.max_delay));
            }
            match messages.recv_timeout(wake.saturating_duration_since(now)) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // A file event: check now, but not more often than MIN_GAP.
                Ok(Msg::Wake) => {
                    woken = true;
                    next_poll = next_poll.min(last_poll + MIN_GAP);
                }
                Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let now = Instant::now();
            if now >= next_poll {
                last_poll = now;
                next_poll = now + self.poll;
                if std::mem::take(&mut woken) {
                    // A directory may have been created: follow it too.
                    events.follow(&self.state.files());
                }
                for (i, w) in self.state.watched.iter_mut().enumerate() {
                    if now < w.next_check {
                        continue;
                    }
                    w.next_check = now + w.source.min_interval();
                    let fingerprint = w.source.fingerprint();
                    if fingerprint != w.fingerprint {
                        w.fingerprint = fingerprint;
                        if !pending.contains(&i) {
                            pending.push(i);
                        }
                        burst = Some((burst.map_or(now, |(first, _)| first), now));
                    }
                }
            }
            #[cfg(feature = "pac-fetch")]
            self.refresh_pacs(&mut pac_changes, &mut burst);
            #[cfg(feature = "pac-fetch")]
            self.search_wpad(&mut pac_changes, &mut burst);
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let Some((first, last)) = burst else {
                continue;
            };
            let now = Instant::now();
            if now >= last + self.debounce || now >= first + self.max_delay {
                burst = None;
                let mut changes = std::mem::take(&mut pac_changes);
                self.rebuild(std::mem::take(&mut pending), &mut changes);
                // Directories may have come or gone: follow them again.
                events.follow(&self.state.files());
            }
        }
    }

    /// Refreshes the PAC scripts that are due: a new one joins the pending
    /// changes, a failure is reported at once (the script held stays).
    #[cfg(feature = "pac-fetch")]
    fn refresh_pacs(
        &mut self,
        changes: &mut Vec<SourceChange>,
        burst: &mut Option<(Instant, Instant)>,
    ) {
        let now = Instant::now();
        for i in 0..self.state.pacs.len() {
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let entry = &mut self.state.pacs[i];
            if now < entry.due {
                continue;
            }
            let before = entry.summary();
            let label = format!("pac:{}", crate::error::redact(entry.policy.url()));
            match entry.refresh() {
                pac::Refresh::Same => {}
                pac::Refresh::New => {
                    changes.push(SourceChange {
                        source: label,
                        after: entry.summary(),
                        before,
                    });
                    // A new script needs no debounce.
                    *burst = Some(self.settled(*burst));
                }
                pac::Refresh::Failed(e) => {
                    let change = Change {
                        sources: vec![SourceChange {
                            source: label,
                            after: format!("{before} (refresh failed)"),
                            before,
                        }],
                        result: Err(e),
                    };
                    self.report(&change);
                }
            }
        }
    }

    /// Runs the WPAD search when due: a different result joins the pending
    /// changes, a failure is reported at once (the script found stays).
    #[cfg(feature = "pac-fetch")]
    fn search_wpad(
        &mut self,
        changes: &mut Vec<SourceChange>,
        burst: &mut Option<(Instant, Instant)>,
    ) {
        let Some(wpad) = &mut self.state.wpad else {
            return;
        };
        if Instant::now() < wpad.due || self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let before = wpad.summary();
        match wpad.search() {
            pac::Refresh::Same => {}
            pac::Refresh::New => {
                changes.push(SourceChange {
                    source: "wpad".to_owned(),
                    after: wpad.summary(),
                    before,
                });
                *burst = Some(self.settled(*burst));
            }
            pac::Refresh::Failed(e) => {
                let change = Change {
                    sources: vec![SourceChange {
                        source: "wpad".to_owned(),
                        after: format!("{before} (search failed)"),
                        before,
                    }],
                    result: Err(e),
                };
                self.report(&change);
            }
        }
    }

    /// A burst whose debounce has passed already: a new script needs no
    /// waiting for quiet.
    #[cfg(feature = "pac-fetch")]
    fn settled(&self, burst: Option<(Instant, Instant)>) -> (Instant, Instant) {
        let now = Instant::now();
        let at = now.checked_sub(self.debounce).unwrap_or(now);
        (burst.map_or(at, |(first, _)| first), at)
    }

    fn rebuild(&mut self, pending: Vec<usize>, changes: &mut Vec<SourceChange>) {
        for i in pending {
            let w = &mut self.state.watched[i];
            let (summary, pac) = w.source.summary();
            changes.push(SourceChange {
                source: w.source.label(),
                before: std::mem::replace(&mut w.summary, summary.clone()),
                after: summary,
            });
            w.named_pac = pac;
        }
        #[cfg(feature = "pac-fetch")]
        self.state.follow_named_pacs(changes);
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let inputs = self.state.inputs();
        let result = run_rebuild(&self.rebuild, &inputs);
        self.rebuilds.fetch_add(1, Ordering::Relaxed);
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let result = result.map(|resolver| {
            self.shared.store(resolver);
            self.shared.generation()
        });
        let change = Change {
            sources: std::mem::take(changes),
            result,
        };
        self.report(&change);
    }

    fn report(&mut self, change: &Change) {
        if let Some(report) = &mut self.report {
            let _ = catch_unwind(AssertUnwindSafe(|| report(change)));
        }
    }
}

//! A coarse wall clock for the answer cache's freshness checks.
//!
//! Reading the system clock costs about 25 ns here, half of what a cached
//! answer may cost. The cache needs the time only to a fraction of its time
//! to live (five minutes by default), so [`SystemClock`](super::SystemClock)
//! answers its freshness checks from a value one thread of the crate
//! refreshes every [`TICK`]:
//!
//! - the thread starts on the first reading and stops after [`IDLE`]
//!   without one, so an idle process has no such thread;
//! - there is one such thread per process (a new one replaces a stalled
//!   one, which then exits at its next tick);
//! - every 256th reading on a thread also reads the system clock, and when
//!   the coarse value is more than [`STALE`] away from it (the thread did
//!   not run, the process was forked, the clock was set) the system
//!   clock's reading is used and a fresh thread started;
//! - when no thread can be started, every reading is the system clock's.
//!
//! So a cached answer may be kept up to a tick (and, while the machine is
//! too loaded to run the thread, up to [`STALE`]) past its time to live.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the coarse value is refreshed.
pub(crate) const TICK: Duration = Duration::from_millis(200);
/// How long the thread runs on without a reading.
pub(crate) const IDLE: Duration = Duration::from_secs(10);
/// How far the coarse value may drift from the system clock before a
/// reading falls back to the system clock and restarts the thread.
pub(crate) const STALE: Duration = Duration::from_secs(2);
/// Caches whose time to live is shorter read the system clock every time.
pub(crate) const MIN_TTL: Duration = Duration::from_secs(10);

/// The process's coarse clock.
pub(crate) static CLOCK: Coarse = Coarse::new(IDLE);

thread_local! {
    /// Readings on this thread since it last checked the coarse value.
    static READINGS: Cell<u8> = const { Cell::new(0) };
}

/// A wall clock refreshed by a thread of its own: milliseconds since the
/// epoch, 0 while no thread keeps it.
pub(crate) struct Coarse {
    millis: AtomicU64,
    /// Which thread keeps the value: one that finds a newer number exits.
    generation: AtomicU64,
    /// Whether anyone read the value since the thread's last tick.
    used: AtomicBool,
    /// Serialises starting and stopping threads (the slow path only).
    switching: Mutex<()>,
    /// How many ticks the thread runs on unread.
    idle_ticks: u32,
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Coarse {
    pub(crate) const fn new(idle: Duration) -> Self {
        Coarse {
            idle_ticks: (idle.as_millis() / TICK.as_millis()) as u32,
            millis: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            used: AtomicBool::new(false),
            switching: Mutex::new(()),
        }
    }

    /// Now, to within a tick (see the module's documentation).
    #[inline]
    pub(crate) fn now(&'static self) -> SystemTime {
        let coarse = self.millis.load(Ordering::Acquire);
        let check = READINGS.with(|n| {
            let next = n.get().wrapping_add(1);
            n.set(next);
            next == 0
        });
        if coarse != 0 && !check {
            if !self.used.load(Ordering::Relaxed) {
                self.used.store(true, Ordering::Relaxed);
            }
            return UNIX_EPOCH + Duration::from_millis(coarse);
        }
        self.checked(coarse)
    }

    /// The slow path: the system clock, and a thread started if none keeps
    /// a value close to it.
    #[cold]
    fn checked(&'static self, coarse: u64) -> SystemTime {
        let exact = SystemTime::now();
        let exact_millis = millis(exact);
        if exact_millis == 0 {
            return exact;
        }
        if coarse != 0 && coarse.abs_diff(exact_millis) <= STALE.as_millis() as u64 {
            self.used.store(true, Ordering::Relaxed);
            return UNIX_EPOCH + Duration::from_millis(coarse);
        }
        self.start(exact_millis);
        // Whole milliseconds, as the thread's values: a reading never
        // comes before one taken earlier.
        UNIX_EPOCH + Duration::from_millis(exact_millis)
    }

    fn start(&'static self, exact_millis: u64) {
        // Another thread is starting one: read the system clock meanwhile.
        let Ok(_switching) = self.switching.try_lock() else {
            return;
        };
        let coarse = self.millis.load(Ordering::Acquire);
        if coarse != 0 && coarse.abs_diff(exact_millis) <= STALE.as_millis() as u64 {
            return;
        }
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.millis.store(exact_millis, Ordering::Release);
        self.used.store(true, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name("proxyroute-coarse-clock".to_owned())
            .spawn(move || self.keep(generation));
        if spawned.is_err() {
            self.millis.store(0, Ordering::Release);
        }
    }

    /// The thread: refreshes the value every tick until it goes unread for
    /// its idle time or a newer thread replaces it.
    fn keep(&'static self, generation: u64) {
        let mut idle = 0;
        loop {
            std::thread::sleep(TICK);
            if self.generation.load(Ordering::Acquire) != generation {
                return;
            }
            if self.used.swap(false, Ordering::Relaxed) {
                idle = 0;
            } else {
                idle += 1;
            }
            if idle >= self.idle_ticks {
                let _switching = self
                    .switching
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if self.generation.load(Ordering::Acquire) == generation {
                    self.millis.store(0, Ordering::Release);
                }
                return;
            }
            self.millis
                .store(millis(SystemTime::now()), Ordering::Release);
        }
    }

    #[cfg(test)]
    fn is_kept(&self) -> bool {
        self.millis.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> &'static Coarse {
        Box::leak(Box::new(Coarse::new(IDLE)))
    }

    fn within(reading: SystemTime, before: SystemTime, after: SystemTime, slack: Duration) {
        assert!(
            reading + slack >= before && reading <= after + slack,
            "{reading:?} is not within {slack:?} of [{before:?}, {after:?}]"
        );
    }

    #[test]
    fn readings_follow_the_system_clock_to_within_a_tick() {
        let clock = own();
        for _ in 0..2_000 {
            let before = SystemTime::now();
            let reading = clock.now();
            let after = SystemTime::now();
            // The documented bound: a tick, or STALE for a thread the
            // machine could not run (a loaded CI runner), and a millisecond
            // for the rounding.
            within(
                reading,
                before,
                after,
                STALE + TICK + Duration::from_millis(1),
            );
        }
        assert!(clock.is_kept(), "the first reading starts the thread");
        // The thread refreshes the value while it is read.
        let first = clock.now();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while clock.now() <= first && std::time::Instant::now() < deadline {
            std::thread::sleep(TICK);
        }
        assert!(clock.now() > first, "the value moves on with the clock");
    }

    #[test]
    fn a_stale_value_is_noticed_within_256_readings_and_replaced() {
        let clock = own();
        let _ = clock.now();
        // As after a fork: the value is an hour old and no thread keeps it.
        clock.generation.fetch_add(1, Ordering::AcqRel);
        let hour_ago = millis(SystemTime::now()) - 3_600_000;
        clock.millis.store(hour_ago, Ordering::Release);
        let mut fresh = None;
        for i in 0..=256 {
            let before = SystemTime::now();
            if clock.now() >= before - STALE {
                fresh = Some(i);
                break;
            }
        }
        assert!(fresh.is_some(), "still an hour behind after 257 readings");
        let before = SystemTime::now();
        within(clock.now(), before, SystemTime::now(), STALE);
    }

    #[test]
    fn the_thread_stops_when_nobody_reads() {
        let idle = TICK * 3;
        let clock: &'static Coarse = Box::leak(Box::new(Coarse::new(idle)));
        let _ = clock.now();
        assert!(clock.is_kept());
        let deadline = std::time::Instant::now() + idle + TICK * 20;
        while clock.is_kept() && std::time::Instant::now() < deadline {
            std::thread::sleep(TICK);
        }
        assert!(
            !clock.is_kept(),
            "the thread still runs after {idle:?} unread"
        );
        // A reading after that starts it again, and reads the system clock.
        let before = SystemTime::now();
        within(
            clock.now(),
            before,
            SystemTime::now(),
            Duration::from_millis(1),
        );
        assert!(clock.is_kept());
    }
}

//! Running a PAC script: QuickJS (through rquickjs) with limits the crate
//! sets, on warm worker threads that load the script once.
//!
//! - **As browsers run it**: an ordinary script, not strict mode; the
//!   browsers' `shExpMatch` (only `.`, `*` and `?` translated); the
//!   script's own `Date` reads the caller's [`Clock`]; loading (the top
//!   level) has its own budget, [`PacLimits::load`] (default 2 s); the
//!   script runs as written unless tracing is asked for
//!   ([`PacScriptBuilder::trace`]).
//! - **Time**: an interrupt handler stops the script at the deadline
//!   (default 100 ms). QuickJS checks it every few thousand jumps or calls,
//!   so a built-in that never yields (a huge `sort` in a loop) can run past
//!   it: the caller is answered at the deadline anyway, and the runtime is
//!   left to its thread, which ends at the next check; its memory stays
//!   capped meanwhile.
//! - **Memory**: a cap per runtime (default 64 MiB) makes a huge allocation
//!   fail the evaluation; the stack is capped too (default 256 KiB).
//! - **Access**: only the ECMAScript built-ins and the PAC helpers exist; no
//!   file, network, process or module loading. Name resolution and the
//!   clock go through [`HostResolver`] and [`Clock`], which the caller
//!   chooses, from the top level on ([`PacScript::builder`]): by default
//!   [`SystemDns`] (the OS resolver, 1 s per lookup, on a fixed pool of
//!   threads) and
//!   [`SystemClock`]; [`NoDns`] resolves IP literals only.
//! - **The URL**: [`PacScript::find_proxy`] passes only `scheme://host[:port]/`
//!   (as Chromium does for https, for every scheme here), so no path or
//!   query reaches a script from the network; [`PacScript::call`] passes
//!   whatever URL the caller gives, for those who want the full one.
//!
//! The helpers (`isPlainHostName`, `dnsDomainIs`, `localHostOrDomainIs`,
//! `isResolvable`, `isInNet`, `dnsResolve`, `convert_addr`, `myIpAddress`,
//! `dnsDomainLevels`, `shExpMatch`, `weekdayRange`, `dateRange`,
//! `timeRange`, `alert`, and Microsoft's `dnsResolveEx`, `isResolvableEx`,
//! `myIpAddressEx`, `isInNetEx`, `sortIpAddressList`, `getClientVersion`)
//! are written here; `FindProxyForURLEx` is called instead of
//! `FindProxyForURL` when the script defines it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::cache::{Cache, OriginKey, PacAnswer, PacCache};
use super::child::{ChildHost, ChildProcess};
use super::worker::{Answer, Env, Pool, Script};
use super::PacResult;
use crate::error::{Error, ErrorKind, Origin};
use crate::target::Target;

/// Looks host names up for `dnsResolve`, `isInNet`, `myIpAddress` and
/// friends. Implement it to use the system resolver, a cache, or a fixed
/// table in tests.
pub trait HostResolver: Send + Sync + 'static {
    /// The addresses of `host` (empty when it does not resolve).
    fn resolve(&self, host: &str) -> Vec<IpAddr>;
    /// This machine's addresses, for `myIpAddress`.
    fn local_addresses(&self) -> Vec<IpAddr> {
        Vec::new()
    }
}

/// Resolves nothing but IP literals: no name lookups at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDns;

impl HostResolver for NoDns {
    fn resolve(&self, host: &str) -> Vec<IpAddr> {
        host.parse().into_iter().collect()
    }
}

impl<F> HostResolver for F
where
    F: Fn(&str) -> Vec<IpAddr> + Send + Sync + 'static,
{
    fn resolve(&self, host: &str) -> Vec<IpAddr> {
        self(host)
    }
}

/// The operating system's resolver (`getaddrinfo`), each lookup bounded by
/// a timeout: a lookup that takes longer counts as "does not resolve". The
/// default for [`PacScript`].
///
/// Lookups run on a fixed pool of 4 threads shared by the process, started
/// on first use, with at most 64 lookups waiting: a lookup that times out
/// finishes on its pool thread (no thread is started per call), and when
/// the pool is busy and the queue full, a lookup fails at once instead of
/// waiting. So slow DNS costs at most 4 threads, however many calls.
#[derive(Debug, Clone, Copy)]
pub struct SystemDns {
    /// How long one lookup may take.
    pub timeout: Duration,
}

impl Default for SystemDns {
    fn default() -> Self {
        SystemDns {
            timeout: Duration::from_secs(1),
        }
    }
}

impl HostResolver for SystemDns {
    fn resolve(&self, host: &str) -> Vec<IpAddr> {
        if let Ok(ip) = host.parse() {
            return vec![ip];
        }
        if host.is_empty()
            || host.len() > 253
            || host.contains(|c: char| c.is_whitespace() || c == ':')
        {
            return Vec::new();
        }
        super::dns::system().lookup(host, self.timeout)
    }

    fn local_addresses(&self) -> Vec<IpAddr> {
        // The address a socket would leave from towards a public address;
        // connecting a UDP socket sends nothing.
        let mut out = Vec::new();
        for (bind, to) in [("0.0.0.0:0", "192.0.2.1:9"), ("[::]:0", "[2001:db8::1]:9")] {
            if let Ok(sock) = std::net::UdpSocket::bind(bind) {
                if sock.connect(to).is_ok() {
                    if let Ok(addr) = sock.local_addr() {
                        out.push(addr.ip());
                    }
                }
            }
        }
        out
    }
}

/// The time `weekdayRange`, `dateRange` and `timeRange` see.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> SystemTime;

    /// Now, to within a fraction of a second: what the answer cache's
    /// freshness checks read when its time to live is 10 s or more.
    /// [`now`](Clock::now) unless the clock can answer more cheaply;
    /// [`SystemClock`] answers from a coarse clock a thread of the crate
    /// refreshes every 200 ms while it is read (see [`PacCache`]).
    fn now_coarse(&self) -> SystemTime {
        self.now()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    #[inline]
    fn now_coarse(&self) -> SystemTime {
        super::coarse::CLOCK.now()
    }
}

impl Clock for SystemTime {
    fn now(&self) -> SystemTime {
        *self
    }
}

/// The limits an evaluation runs under.
///
/// ```
/// # #[cfg(feature = "pac")] {
/// use std::time::Duration;
/// use proxyroute::pac::PacLimits;
/// let limits = PacLimits::default()
///     .with_deadline(Duration::from_millis(50))
///     .with_load(Duration::from_secs(5));
/// assert_eq!(limits.load, Duration::from_secs(5));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacLimits {
    /// How long one call of `FindProxyForURL` may take (default 100 ms).
    pub deadline: Duration,
    /// How long loading the script (running its top level) may take
    /// (default 2 s): a generated script of several hundred KB takes tens of
    /// milliseconds on an idle machine and several times that on a busy
    /// one. A call that has to load the script first (the first call after
    /// a runtime was retired) waits for the load, then has its own
    /// `deadline`.
    pub load: Duration,
    /// The runtime's memory cap, in bytes.
    pub memory: usize,
    /// The runtime's stack cap, in bytes.
    pub stack: usize,
}

impl Default for PacLimits {
    fn default() -> Self {
        PacLimits {
            deadline: Duration::from_millis(100),
            load: Duration::from_secs(2),
            memory: 64 << 20,
            stack: 256 << 10,
        }
    }
}

impl PacLimits {
    /// These limits with another call deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// These limits with another load budget.
    #[must_use]
    pub fn with_load(mut self, load: Duration) -> Self {
        self.load = load;
        self
    }

    /// These limits with another memory cap, in bytes.
    #[must_use]
    pub fn with_memory(mut self, memory: usize) -> Self {
        self.memory = memory;
        self
    }

    /// These limits with another stack cap, in bytes.
    #[must_use]
    pub fn with_stack(mut self, stack: usize) -> Self {
        self.stack = stack;
        self
    }
}

/// A PAC script, ready to evaluate.
///
/// ```
/// use proxyroute::pac::PacScript;
/// let script = PacScript::new(r#"
///     function FindProxyForURL(url, host) {
///         if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
///         return "PROXY proxy.corp.example:3128; DIRECT";
///     }"#)?;
/// let result = script.find_proxy(&"https://example.com/".parse()?)?;
/// assert_eq!(result.to_string(), "PROXY proxy.corp.example:3128; DIRECT");
/// let err = PacScript::new("function FindProxyForURL(u, h) { while (true) {} }")?
///     .find_proxy(&"http://x/".parse()?)
///     .unwrap_err();
/// assert!(err.to_string().contains("did not finish within 100 ms"), "{err}");
/// # Ok::<(), proxyroute::Error>(())
/// ```
///
/// # Warm runtimes
///
/// The script is loaded once into a runtime that a worker thread keeps, and
/// each call reuses it: a call costs microseconds (about 11 µs for a
/// realistic script), not the 0.3 ms of loading a fresh sandbox. Each call
/// gets its own deadline. A call that times out, runs out of memory or
/// stack, or is otherwise interrupted retires its runtime: the caller gets
/// the error, the runtime is abandoned to its thread (which ends at the
/// engine's next interrupt check, its memory capped meanwhile) and the next
/// call loads the script afresh, so one bad call never makes the next one
/// fail or hang. While four abandoned runtimes of one script are still
/// running, calls fail at once instead of starting a fifth.
///
/// **State persists between calls**, as it does in browsers: a global the
/// script changes during one call is changed for the next (until its
/// runtime is retired and the script is loaded again).
///
/// **Threads.** `PacScript` is `Send + Sync`, and clones share the warm
/// runtimes. By default calls from several threads take turns on one
/// runtime, as in Chromium and Firefox, which evaluate PAC on one thread:
/// global state stays that of one script, and at most one runtime's memory
/// cap is in use; a call waits while another one runs (each bounded by its
/// deadline). [`with_workers`](PacScript::with_workers) allows more
/// runtimes, each with its own copy of the globals, for callers that resolve
/// many uncached hosts at once or whose resolver blocks.
///
/// # Cache
///
/// [`find_proxy`](PacScript::find_proxy) keeps its answers, by origin, in a
/// bounded cache with a time to live (by default 1024 answers for 5
/// minutes, on the script's [`Clock`]); see [`PacCache`] and
/// [`with_cache`](PacScript::with_cache). A cached answer costs well under
/// a microsecond.
#[derive(Clone)]
pub struct PacScript {
    script: Arc<Script>,
    limits: PacLimits,
    workers: usize,
    cache: PacCache,
    isolation: Option<ChildProcess>,
    dns: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
    /// The warm runtimes (or the child process) and the cache, shared by
    /// clones until one of them changes its settings.
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool,
    child: Option<ChildHost>,
    cache: Cache<PacAnswer>,
}

impl Shared {
    fn new(
        script: &Arc<Script>,
        workers: usize,
        isolation: Option<&ChildProcess>,
        cache: PacCache,
    ) -> Arc<Self> {
        Arc::new(Shared {
            pool: Pool::new(script.clone(), workers),
            child: isolation.map(|config| ChildHost::new(config.clone(), script.clone())),
            cache: Cache::new(cache),
        })
    }
}

impl PacScript {
    fn fresh_shared(&self, cache: PacCache) -> Arc<Shared> {
        Shared::new(&self.script, self.workers, self.isolation.as_ref(), cache)
    }
}

impl std::fmt::Debug for PacScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacScript")
            .field("bytes", &self.script.plain.len())
            .field("traced", &self.script.traced.is_some())
            .field("limits", &self.limits)
            .field("workers", &self.workers)
            .field("cache", &self.cache)
            .field("isolation", &self.isolation)
            .finish_non_exhaustive()
    }
}

/// Chooses how a [`PacScript`] is loaded and run, before it is loaded; see
/// [`PacScript::builder`].
#[must_use]
pub struct PacScriptBuilder {
    source: String,
    limits: PacLimits,
    cache: PacCache,
    workers: usize,
    isolation: Option<ChildProcess>,
    trace: bool,
    dns: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PacScriptBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacScriptBuilder")
            .field("bytes", &self.source.len())
            .field("limits", &self.limits)
            .field("cache", &self.cache)
            .field("workers", &self.workers)
            .field("isolation", &self.isolation)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

impl PacScriptBuilder {
    /// Resolves names with `dns` (default [`SystemDns`]), from the top level on.
    pub fn resolver(mut self, dns: impl HostResolver) -> Self {
        self.dns = Arc::new(dns);
        self
    }

    /// As [`resolver`](PacScriptBuilder::resolver), for a resolver already shared.
    pub fn shared_resolver(mut self, dns: Arc<dyn HostResolver>) -> Self {
        self.dns = dns;
        self
    }

    /// Reads the time from `clock` (default [`SystemClock`]), from the top
    /// level on: the date and time helpers and the script's own `new Date()`
    /// and `Date.now()` see it.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Loads and calls under `limits` (the load under
    /// [`PacLimits::load`], each call under [`PacLimits::deadline`]).
    pub fn limits(mut self, limits: PacLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Keeps `find_proxy` answers as `cache` says (default: see [`PacCache`]).
    pub fn cache(mut self, cache: PacCache) -> Self {
        self.cache = cache;
        self
    }

    /// Up to `workers` warm runtimes (at least one; the default is one);
    /// see [`PacScript::with_workers`].
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Runs the script in a child process; see [`child`](super::child).
    pub fn isolated(mut self, child: ChildProcess) -> Self {
        self.isolation = Some(child);
        self
    }

    /// Runs an instrumented copy of the script, so that each answer names
    /// the `return` of `FindProxyForURL` that gave it
    /// ([`PacAnswer::branch`]). Off by default: the script that answers
    /// runs as written. The instrumentation is made by a small tokenizer
    /// and changes nothing the script does; when it cannot be made, or the
    /// instrumented text fails to load where the plain one loads, the plain
    /// text runs and no branch is given.
    pub fn trace(mut self, trace: bool) -> Self {
        self.trace = trace;
        self
    }

    /// Loads the script (within [`PacLimits::load`]) under the chosen
    /// settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] saying what is wrong with the script: a syntax
    /// error, a throwing top level, no `FindProxyForURL`, a load that did not
    /// finish within the budget; or, isolated, a child that could not start.
    pub fn build(self) -> Result<PacScript, Error> {
        let text = Arc::new(Script::new(&self.source, self.trace));
        let script = PacScript {
            shared: Shared::new(&text, self.workers, self.isolation.as_ref(), self.cache),
            script: text,
            limits: self.limits,
            workers: self.workers,
            cache: self.cache,
            isolation: self.isolation,
            dns: self.dns,
            clock: self.clock,
        };
        let env = script.env();
        match &script.shared.child {
            Some(child) => child.warm(&env)?,
            None => script.shared.pool.warm(&env)?,
        }
        Ok(script)
    }
}

/// The longest result string the cache keeps, so that a script cannot
/// fill memory through it (a real result is a few dozen bytes).
const MAX_CACHED_BYTES: usize = 8 << 10;

pub(super) fn pac_error(why: String) -> Error {
    Error::new(ErrorKind::Pac(why), Origin::setting("PAC script"), "")
}

impl PacScript {
    /// A script from its source, with the default settings: loaded once
    /// here (within [`PacLimits::load`]) so that a syntax error, a throwing
    /// top level or a missing `FindProxyForURL` fails now rather than on the
    /// first request; the loaded runtime then serves the first calls.
    ///
    /// The top level runs with [`SystemDns`] and [`SystemClock`]: to choose
    /// the resolver, clock or limits it runs under, use
    /// [`builder`](PacScript::builder).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] saying what is wrong with the script.
    pub fn new(source: &str) -> Result<Self, Error> {
        Self::builder(source).build()
    }

    /// A builder for a script whose resolver, clock, limits, cache, tracing
    /// or isolation are chosen before it is loaded: they are in force from
    /// the first line of the script's top level.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use proxyroute::pac::{NoDns, PacLimits, PacScript};
    /// // The top level asks for the time and a name: the caller's clock
    /// // and resolver answer, never the system's.
    /// let script = PacScript::builder(r#"
    ///     var started = new Date().getUTCFullYear();
    ///     var gateway = dnsResolve("gateway.corp.example");
    ///     function FindProxyForURL(url, host) {
    ///         return gateway ? "PROXY " + gateway + ":3128" : "DIRECT; PROXY y" + started + ":1";
    ///     }"#)
    ///     .resolver(NoDns)
    ///     .clock(SystemTime::UNIX_EPOCH)
    ///     .limits(PacLimits::default().with_load(Duration::from_secs(5)))
    ///     .build()?;
    /// let result = script.find_proxy(&"https://example.com/".parse()?)?;
    /// assert_eq!(result.to_string(), "DIRECT; PROXY y1970:1");
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    pub fn builder(source: &str) -> PacScriptBuilder {
        PacScriptBuilder {
            source: source.into(),
            limits: PacLimits::default(),
            cache: PacCache::default(),
            workers: 1,
            isolation: None,
            trace: false,
            dns: Arc::new(SystemDns::default()),
            clock: Arc::new(SystemClock),
        }
    }

    /// A script evaluated in a child process (see [`child`](super::child)):
    /// loaded there now, under the default limits, and evaluated there on
    /// every call; the child is killed when a call outlives its deadline,
    /// and started again on the next call. The same as
    /// `PacScript::builder(source).isolated(child).build()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`]: the child could not be started, or said what is
    /// wrong with the script.
    pub fn new_isolated(source: &str, child: ChildProcess) -> Result<Self, Error> {
        Self::builder(source).isolated(child).build()
    }

    /// The script that a child process serves: no cache (the parent keeps
    /// one), the parent's limits, tracing, resolver and clock.
    pub(super) fn load_with(
        source: &str,
        limits: PacLimits,
        trace: bool,
        dns: Arc<dyn HostResolver>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        PacScriptBuilder {
            source: source.into(),
            limits,
            cache: PacCache::off(),
            workers: 1,
            isolation: None,
            trace,
            dns,
            clock,
        }
        .build()
    }

    /// Whether the script runs instrumented, so that answers name the
    /// `return` that gave them (see
    /// [`PacScriptBuilder::trace`]).
    pub fn is_traced(&self) -> bool {
        self.script.traced.is_some()
    }

    /// The same script, loaded afresh with tracing on or off, and the same
    /// resolver, clock, limits and isolation, without a cache; `self` is
    /// unchanged. `Resolver::explain` uses a traced twin, so that the
    /// script that answers `resolve` runs as written.
    ///
    /// # Errors
    ///
    /// As [`PacScriptBuilder::build`].
    pub fn twin(&self, trace: bool) -> Result<Self, Error> {
        PacScriptBuilder {
            source: self.script.plain.to_string(),
            limits: self.limits,
            cache: PacCache::off(),
            workers: 1,
            isolation: self.isolation.clone(),
            trace,
            dns: self.dns.clone(),
            clock: self.clock.clone(),
        }
        .build()
    }

    /// The same script, resolving names with `dns` in calls from now on.
    /// The script's top level ran already, under the earlier resolver: to
    /// have `dns` in force from the first line, use
    /// [`PacScriptBuilder::resolver`].
    #[must_use]
    pub fn with_resolver(mut self, dns: impl HostResolver) -> Self {
        self.dns = Arc::new(dns);
        self.detach();
        self
    }

    /// The same script, reading the time from `clock` in calls from now on
    /// (the top level ran already: see [`PacScriptBuilder::clock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self.detach();
        self
    }

    /// The same script, calls from now on under other limits (the load ran
    /// already: see [`PacScriptBuilder::limits`]).
    #[must_use]
    pub fn with_limits(mut self, limits: PacLimits) -> Self {
        self.limits = limits;
        self.detach();
        self
    }

    /// The same script, with up to `workers` warm runtimes (at least one;
    /// the default is one) serving calls from several threads at once.
    /// Each runtime has its own globals and its own memory cap.
    #[must_use]
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self.detach();
        self.shared.pool.set_size(self.workers);
        self
    }

    /// The same script, keeping `find_proxy` answers as `cache` says.
    #[must_use]
    pub fn with_cache(mut self, cache: PacCache) -> Self {
        self.cache = cache;
        // Calls carry every other setting; the cache's bounds are its own.
        if self.shared.cache.config() != cache {
            match Arc::get_mut(&mut self.shared) {
                Some(shared) => shared.cache = Cache::new(cache),
                None => self.shared = self.fresh_shared(cache),
            }
        }
        self
    }

    /// The same script without a cache: every `find_proxy` runs the script.
    #[must_use]
    pub fn without_cache(self) -> Self {
        self.with_cache(PacCache::off())
    }

    /// The limits calls run under.
    pub fn limits(&self) -> PacLimits {
        self.limits
    }

    /// The cache's bounds.
    pub fn cache(&self) -> PacCache {
        self.cache
    }

    /// After a change of settings: keeps the warm runtimes when no clone
    /// shares them (calls carry the settings) but forgets cached answers,
    /// else starts afresh, so that clones never see each other's settings,
    /// state or answers.
    fn detach(&mut self) {
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => shared.cache.clear(),
            None => self.shared = self.fresh_shared(self.cache),
        }
    }

    fn env(&self) -> Env {
        Env {
            dns: self.dns.clone(),
            clock: self.clock.clone(),
            limits: self.limits,
        }
    }

    /// Asks the script where `target` goes. The URL passed is the target's
    /// origin (`scheme://host[:port]/`), as browsers strip the path of
    /// https URLs; the host is unbracketed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`]: the script threw, ran out of time or memory, or
    /// returned something that is not a string. Never a silent `DIRECT`.
    pub fn find_proxy(&self, target: &Target) -> Result<PacResult, Error> {
        self.find_proxy_traced(target).map(PacAnswer::into_result)
    }

    /// As [`find_proxy`](PacScript::find_proxy), saying more: the string
    /// the script returned, whether the answer came from the cache, and
    /// which `return` of `FindProxyForURL` produced it.
    ///
    /// The branch is given only for a script built with
    /// [`trace(true)`](PacScriptBuilder::trace); it is found by
    /// instrumenting the script before it is loaded
    /// (a tokenizer finds each `return` in `FindProxyForURL`'s own body and
    /// makes it record its line first, without changing what the script
    /// does); it is `None` when the script could not be instrumented, or
    /// the instrumented text failed to load where the plain one loaded (the
    /// plain one runs then). Only the returns of `FindProxyForURL` itself
    /// count: when a helper it calls answers (`return helper(host)`), the
    /// branch is that `return helper(host)`. The last such `return` reached
    /// is reported, which with `try`/`finally` is the one whose value
    /// wins. A script that reads its own source
    /// (`FindProxyForURL.toString()`) sees the instrumented text.
    ///
    /// ```
    /// use proxyroute::pac::PacScript;
    /// let script = PacScript::builder(r#"function FindProxyForURL(url, host) {
    ///   if (isPlainHostName(host))
    ///     return "DIRECT";
    ///   return "PROXY proxy.corp.example:3128";
    /// }"#)
    /// .trace(true)
    /// .build()?;
    /// let answer = script.find_proxy_traced(&"http://intranet/".parse()?)?;
    /// assert_eq!(answer.raw(), "DIRECT");
    /// assert_eq!(answer.branch().unwrap().to_string(), r#"line 3: return "DIRECT";"#);
    /// # Ok::<(), proxyroute::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`find_proxy`](PacScript::find_proxy).
    pub fn find_proxy_traced(&self, target: &Target) -> Result<PacAnswer, Error> {
        if let Some(answer) = self.cached(target) {
            return Ok(answer);
        }
        let origin = target.to_string();
        let answer = self.answer(&origin, target.host())?;
        let branch = answer.branch.and_then(|n| {
            let traced = self.script.traced.as_ref()?;
            traced.branches.get(n).cloned()
        });
        let answer = PacAnswer {
            result: PacResult::parse(&answer.raw),
            raw: answer.raw,
            cached: false,
            branch,
        };
        if answer.raw.len() <= MAX_CACHED_BYTES {
            self.shared
                .cache
                .put(&OriginKey::of(target), answer.clone(), self.cache_now());
        }
        Ok(answer)
    }

    /// The cached answer for `target`, if a fresh one is kept.
    pub(crate) fn cached(&self, target: &Target) -> Option<PacAnswer> {
        let mut answer =
            self.shared
                .cache
                .with(&OriginKey::of(target), || self.cache_now(), Clone::clone)?;
        answer.cached = true;
        Some(answer)
    }

    /// The hops of the cached answer for `target`, if a fresh one is kept:
    /// shared with the cache, so nothing is allocated.
    pub(crate) fn cached_hops(&self, target: &Target) -> Option<Arc<[crate::HopBuf]>> {
        self.shared.cache.with(
            &OriginKey::of(target),
            || self.cache_now(),
            |answer| answer.result.shared_hops(),
        )
    }

    /// The time the cache keeps answers by: the clock's coarse reading when
    /// the time to live is long enough for a fraction of a second not to
    /// matter.
    #[inline]
    fn cache_now(&self) -> SystemTime {
        if self.cache.ttl() >= super::coarse::MIN_TTL {
            self.clock.now_coarse()
        } else {
            self.clock.now()
        }
    }

    /// Calls `FindProxyForURL(url, host)` (or `FindProxyForURLEx`) and
    /// returns its string as is.
    ///
    /// # Errors
    ///
    /// As [`find_proxy`](PacScript::find_proxy).
    pub fn call(&self, url: &str, host: &str) -> Result<String, Error> {
        self.answer(url, host).map(|a| a.raw)
    }

    /// Runs the script, in process or in the child.
    pub(super) fn answer(&self, url: &str, host: &str) -> Result<Answer, Error> {
        match &self.shared.child {
            Some(child) => child.call(&self.env(), url, host),
            None => self.shared.pool.call(&self.env(), url, host),
        }
    }

    /// The engine's own cost: `rounds` calls on a runtime loaded on this
    /// thread, without the hand-off to a worker.
    pub(super) fn engine_only(
        &self,
        calls: &[(String, String)],
        rounds: u64,
    ) -> Result<Duration, Error> {
        super::worker::engine_only(&self.script.plain, self.env(), calls, rounds)
    }

    /// How many in-process runtimes were retired so far.
    pub(super) fn retirements(&self) -> usize {
        self.shared.pool.retirements()
    }
}

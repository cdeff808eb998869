//! Warm runtimes: each worker thread owns one QuickJS runtime with the
//! helpers and the script loaded once, and answers calls until it is
//! retired.
//!
//! A caller takes an idle worker from the [`Pool`] (starting one when none
//! is idle and the pool is below its size, waiting otherwise), stores the
//! call's deadline where the runtime's interrupt handler reads it, sends
//! the call and waits until a little after the deadline. A worker whose
//! call timed out, ran out of memory or stack, or was interrupted is
//! retired: the caller drops it (its thread ends at the engine's next
//! interrupt check, its memory capped meanwhile) and the next call starts a
//! fresh one. Threads still running after being abandoned are counted, and
//! no new worker starts while [`MAX_LINGERING`] of them remain, so a script
//! that wedges a built-in cannot pile up threads and memory.

use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, Context, Function, Runtime, Value};

use super::eval::{pac_error, Clock, HostResolver, PacLimits};
use super::trace::{self, Instrumented};
use crate::error::Error;

/// How long past its deadline a caller waits for a worker's own answer
/// (the interrupt usually ends the script first, with the better message).
const GRACE: Duration = Duration::from_millis(50);

/// How many abandoned worker threads may still be running before the pool
/// refuses to start another.
pub(super) const MAX_LINGERING: usize = 4;

/// What a call runs with: chosen per [`PacScript`](super::PacScript), sent
/// with every call so that a worker serves whatever the script now says.
#[derive(Clone)]
pub(super) struct Env {
    pub(super) dns: Arc<dyn HostResolver>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) limits: PacLimits,
}

/// A script's text, as given and instrumented to say which `return`
/// answered (see the `trace` module).
#[derive(Debug)]
pub(super) struct Script {
    pub(super) plain: Arc<str>,
    pub(super) traced: Option<Instrumented>,
    /// Set once the instrumented text failed to load where the plain one
    /// loaded: later runtimes load the plain text directly.
    untraceable: AtomicBool,
}

impl Script {
    /// The script as given; with `trace`, also its instrumented text, which
    /// then is what runs.
    pub(super) fn new(source: &str, trace: bool) -> Self {
        Script {
            plain: source.into(),
            traced: if trace {
                trace::instrument(source).ok().flatten()
            } else {
                None
            },
            untraceable: AtomicBool::new(false),
        }
    }

    fn traced(&self) -> Option<&Instrumented> {
        self.traced
            .as_ref()
            .filter(|_| !self.untraceable.load(Ordering::Relaxed))
    }
}

/// The script's answer: the string it returned and, when the script is
/// instrumented, the index of the `return` that produced it.
pub(super) struct Answer {
    pub(super) raw: String,
    pub(super) branch: Option<usize>,
}

/// A failed call, and whether the worker must be retired after it.
struct Failure {
    error: Error,
    retire: bool,
}

struct Job {
    url: String,
    host: String,
    deadline: Instant,
    env: Env,
}

type Reply = Result<Option<Answer>, Failure>;

struct Worker {
    jobs: mpsc::Sender<Job>,
    replies: mpsc::Receiver<Reply>,
}

struct State {
    idle: Vec<Worker>,
    /// Workers that exist and may be reused: idle or serving a call.
    live: usize,
    size: usize,
}

/// A bounded set of warm workers for one script.
pub(super) struct Pool {
    script: Arc<Script>,
    state: Mutex<State>,
    freed: Condvar,
    /// Worker threads still running, retired or not.
    threads: Arc<AtomicUsize>,
    /// How many workers were retired or failed to start, ever.
    retired: AtomicUsize,
}

impl Pool {
    pub(super) fn new(script: Arc<Script>, size: usize) -> Self {
        Pool {
            script,
            state: Mutex::new(State {
                idle: Vec::new(),
                live: 0,
                size: size.max(1),
            }),
            freed: Condvar::new(),
            threads: Arc::new(AtomicUsize::new(0)),
            retired: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set_size(&self, size: usize) {
        let mut state = self.lock();
        state.size = size.max(1);
        while state.live > state.size && !state.idle.is_empty() {
            state.idle.pop();
            state.live -= 1;
        }
        drop(state);
        self.freed.notify_all();
    }

    /// Makes sure one worker is loaded, starting it if none is idle; the
    /// load's errors are the script's.
    pub(super) fn warm(&self, env: &Env) -> Result<(), Error> {
        let (worker, _) = self.acquire(env, Instant::now() + env.limits.load)?;
        self.release(worker);
        Ok(())
    }

    /// Calls the script's `FindProxyForURL(url, host)` on a warm worker.
    pub(super) fn call(&self, env: &Env, url: &str, host: &str) -> Result<Answer, Error> {
        // A worker started for this call loads the script within the load
        // budget first; the call's own deadline starts once it is loaded.
        let (worker, _) = self.acquire(env, Instant::now() + env.limits.load)?;
        let deadline = Instant::now() + env.limits.deadline;
        let job = Job {
            url: url.to_owned(),
            host: host.to_owned(),
            deadline,
            env: env.clone(),
        };
        if worker.jobs.send(job).is_err() {
            self.retire(worker);
            return Err(pac_error("the evaluation thread ended unexpectedly".into()));
        }
        match receive(&worker.replies, deadline + GRACE) {
            Ok(Ok(answer)) => {
                self.release(worker);
                answer.ok_or_else(|| pac_error("the evaluation thread gave no answer".into()))
            }
            Ok(Err(failure)) => {
                if failure.retire {
                    self.retire(worker);
                } else {
                    self.release(worker);
                }
                Err(failure.error)
            }
            Err(_) => {
                self.retire(worker);
                Err(abandoned(env.limits))
            }
        }
    }

    /// An idle worker, or a new one (`true`) loaded by `deadline`.
    fn acquire(&self, env: &Env, deadline: Instant) -> Result<(Worker, bool), Error> {
        let mut state = self.lock();
        loop {
            if let Some(worker) = state.idle.pop() {
                return Ok((worker, false));
            }
            if state.live < state.size {
                let lingering = self
                    .threads
                    .load(Ordering::SeqCst)
                    .saturating_sub(state.live);
                if lingering >= MAX_LINGERING {
                    return Err(pac_error(format!(
                        "{lingering} abandoned evaluations of this script are still running; \
                         not starting another until they end"
                    )));
                }
                state.live += 1;
                drop(state);
                return match self.spawn(env, deadline) {
                    Ok(worker) => Ok((worker, true)),
                    Err(e) => {
                        self.retired.fetch_add(1, Ordering::SeqCst);
                        self.lock().live -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self, worker: Worker) {
        let mut state = self.lock();
        if state.live > state.size {
            state.live -= 1;
        } else {
            state.idle.push(worker);
        }
        drop(state);
        self.freed.notify_one();
    }

    /// How many workers were retired or failed to start so far.
    pub(super) fn retirements(&self) -> usize {
        self.retired.load(Ordering::SeqCst)
    }

    fn retire(&self, worker: Worker) {
        self.retired.fetch_add(1, Ordering::SeqCst);
        drop(worker);
        self.lock().live -= 1;
        self.freed.notify_one();
    }

    /// Starts a worker thread and waits for its script to load.
    fn spawn(&self, env: &Env, deadline: Instant) -> Result<Worker, Error> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (reply_tx, replies) = mpsc::channel::<Reply>();
        let script = self.script.clone();
        let first = env.clone();
        let threads = self.threads.clone();
        threads.fetch_add(1, Ordering::SeqCst);
        let counted = ThreadCount(threads);
        let spawned = std::thread::Builder::new()
            .name("proxyroute-pac".into())
            .spawn(move || {
                let _counted = counted;
                serve(&script, first, deadline, &job_rx, &reply_tx);
            });
        if let Err(e) = spawned {
            return Err(pac_error(format!(
                "cannot start the evaluation thread: {e}"
            )));
        }
        let wait = deadline.saturating_duration_since(Instant::now()) + GRACE;
        match replies.recv_timeout(wait) {
            Ok(Ok(_)) => Ok(Worker { jobs, replies }),
            Ok(Err(failure)) => Err(failure.error),
            Err(_) => Err(pac_error(format!(
                "the script did not load within {} ms (the load budget); its runtime was abandoned",
                env.limits.load.as_millis()
            ))),
        }
    }
}

/// How long each side of a call polls (yielding its core between polls)
/// before it sleeps: a warm call's answer (tens of microseconds) and the
/// next call of a busy caller arrive within it, so neither pays a thread
/// wake-up.
const SPIN: Duration = Duration::from_micros(200);

/// Of the polling time, how long at the start is a hard spin (the rest
/// yields the core between polls, so that on a busy machine the other side
/// gets to answer).
const HARD_SPIN: Duration = Duration::from_micros(20);

/// One wait between two polls ending at `spin_until`: a spin-loop hint
/// during the first [`HARD_SPIN`], a yield after.
fn pause(spin_until: Instant) {
    if spin_until.saturating_duration_since(Instant::now()) > SPIN - HARD_SPIN {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// The reply to a call, spinning briefly before blocking until `until`.
fn receive<T>(replies: &mpsc::Receiver<T>, until: Instant) -> Result<T, mpsc::RecvTimeoutError> {
    let spin_until = Instant::now() + SPIN;
    loop {
        match replies.try_recv() {
            Ok(reply) => return Ok(reply),
            Err(mpsc::TryRecvError::Disconnected) => {
                return Err(mpsc::RecvTimeoutError::Disconnected)
            }
            Err(mpsc::TryRecvError::Empty) if Instant::now() < spin_until => pause(spin_until),
            Err(mpsc::TryRecvError::Empty) => break,
        }
    }
    replies.recv_timeout(until.saturating_duration_since(Instant::now()))
}

/// The worker's next call: spinning briefly after the last one (a caller
/// resolving many hosts sends the next at once), then sleeping until one
/// comes or the pool drops the worker.
fn next_job(jobs: &mpsc::Receiver<Job>) -> Option<Job> {
    let spin_until = Instant::now() + SPIN;
    loop {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if Instant::now() < spin_until => pause(spin_until),
            Err(mpsc::TryRecvError::Empty) => return jobs.recv().ok(),
        }
    }
}

/// Counts a running worker thread until the thread ends.
struct ThreadCount(Arc<AtomicUsize>);

impl Drop for ThreadCount {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn abandoned(limits: PacLimits) -> Error {
    pac_error(format!(
        "the script did not finish within {} ms (a built-in that never yields); \
         its runtime was abandoned",
        limits.deadline.as_millis()
    ))
}

/// The worker thread: load, report, then answer calls until the pool drops
/// this worker or a call leaves the runtime suspect.
fn serve(
    script: &Script,
    env: Env,
    deadline: Instant,
    jobs: &mpsc::Receiver<Job>,
    replies: &mpsc::Sender<Reply>,
) {
    let mut loaded = match Loaded::load(script, env, deadline) {
        Ok(loaded) => loaded,
        Err(failure) => {
            let _ = replies.send(Err(failure));
            return;
        }
    };
    if replies.send(Ok(None)).is_err() {
        return;
    }
    while let Some(job) = next_job(jobs) {
        let reply = loaded.call(job).map(Some);
        let retire = matches!(reply, Err(Failure { retire: true, .. }));
        if replies.send(reply).is_err() || retire {
            return;
        }
    }
}

/// A runtime with the helpers and the script loaded.
struct Loaded {
    rt: Runtime,
    ctx: Context,
    /// The current call's deadline, in nanoseconds after `epoch`; read by
    /// the interrupt handler.
    deadline: Arc<AtomicU64>,
    epoch: Instant,
    /// What the native helpers use: the current call's resolver and clock.
    env: Rc<RefCell<Env>>,
    /// The number of the last instrumented `return` reached (0: none).
    hit: Rc<Cell<usize>>,
    traced: bool,
}

impl Loaded {
    fn load(script: &Script, env: Env, deadline: Instant) -> Result<Self, Failure> {
        let limits = env.limits;
        let budget = limits.load;
        let epoch = Instant::now();
        let stop = Arc::new(AtomicU64::new(nanos_after(epoch, deadline)));
        let rt = Runtime::new().map_err(start_failed)?;
        rt.set_memory_limit(limits.memory);
        rt.set_max_stack_size(limits.stack);
        let handler_stop = stop.clone();
        rt.set_interrupt_handler(Some(Box::new(move || {
            nanos_after(epoch, Instant::now()) >= handler_stop.load(Ordering::Relaxed)
        })));
        let env = Rc::new(RefCell::new(env));
        let hit = Rc::new(Cell::new(0));
        let instrumented = match script.traced() {
            Some(traced) => {
                match load_into(&rt, &env, &traced.source, Some(&hit), deadline, budget) {
                    Ok(ctx) => Some(ctx),
                    // Out of time or memory: the plain text would fare no better.
                    Err(failure) if failure.retire => return Err(failure),
                    // Otherwise the instrumentation may be at fault: try the
                    // text as given, in a fresh context.
                    Err(_) => None,
                }
            }
            None => None,
        };
        let traced = instrumented.is_some();
        let ctx = match instrumented {
            Some(ctx) => ctx,
            None => {
                let ctx = load_into(&rt, &env, &script.plain, None, deadline, budget)?;
                if script.traced.is_some() {
                    script.untraceable.store(true, Ordering::Relaxed);
                }
                ctx
            }
        };
        Ok(Loaded {
            rt,
            ctx,
            deadline: stop,
            epoch,
            env,
            hit,
            traced,
        })
    }

    fn call(&mut self, job: Job) -> Result<Answer, Failure> {
        let limits = job.env.limits;
        let previous = std::mem::replace(&mut *self.env.borrow_mut(), job.env).limits;
        if previous.memory != limits.memory {
            self.rt.set_memory_limit(limits.memory);
        }
        if previous.stack != limits.stack {
            self.rt.set_max_stack_size(limits.stack);
        }
        let deadline = job.deadline;
        self.deadline
            .store(nanos_after(self.epoch, deadline), Ordering::Relaxed);
        self.hit.set(0);
        let answer = self.ctx.with(|ctx| {
            let globals = ctx.globals();
            // Looked up per call, as browsers do: a script may redefine it.
            let f: Function = match globals.get::<_, Function>("FindProxyForURLEx") {
                Ok(f) => f,
                Err(_) => globals.get("FindProxyForURL").map_err(|_| Failure {
                    error: pac_error("the script no longer defines FindProxyForURL".to_owned()),
                    retire: false,
                })?,
            };
            let value: Value = f.call((job.url, job.host)).catch(&ctx).map_err(|e| {
                explain(
                    format!("FindProxyForURL threw: {e}"),
                    deadline,
                    limits.deadline,
                    limits,
                )
            })?;
            string_result(&value).map_err(|error| Failure {
                error,
                retire: false,
            })
        });
        self.deadline.store(u64::MAX, Ordering::Relaxed);
        let hit = self.hit.get();
        answer.map(|raw| Answer {
            raw,
            branch: (self.traced && hit > 0).then(|| hit - 1),
        })
    }
}

fn start_failed(e: rquickjs::Error) -> Failure {
    Failure {
        error: pac_error(format!("cannot start QuickJS: {e}")),
        retire: true,
    }
}

/// A fresh context on `rt` with the helpers and `source` loaded; with
/// `hit`, `source` is instrumented and its `__pr_hit` records there.
fn load_into(
    rt: &Runtime,
    env: &Rc<RefCell<Env>>,
    source: &str,
    hit: Option<&Rc<Cell<usize>>>,
    deadline: Instant,
    budget: Duration,
) -> Result<Context, Failure> {
    let limits = env.borrow().limits;
    let ctx = Context::full(rt).map_err(start_failed)?;
    ctx.with(|ctx| {
        let helpers_failed = |error| Failure {
            error,
            retire: true,
        };
        install_natives(&ctx, env).map_err(helpers_failed)?;
        ctx.eval::<(), _>(PRELUDE)
            .catch(&ctx)
            .map_err(|e| helpers_failed(pac_error(format!("the helpers failed to load: {e}"))))?;
        if let Some(hit) = hit {
            let hit = hit.clone();
            let record = Function::new(ctx.clone(), move |n: usize| hit.set(n));
            install(&ctx, trace::HIT, record).map_err(helpers_failed)?;
            // The script can neither replace nor delete the recorder.
            ctx.eval::<(), _>(format!(
                "Object.defineProperty(globalThis, '{}', {{ writable: false, configurable: false, enumerable: false }});",
                trace::HIT
            ))
            .catch(&ctx)
            .map_err(|e| helpers_failed(pac_error(format!("the helpers failed to load: {e}"))))?;
        }
        // As browsers run it: an ordinary script, not strict mode (an
        // undeclared variable, a legacy octal literal or escape is fine).
        let mut sloppy = EvalOptions::default();
        sloppy.strict = false;
        ctx.eval_with_options::<(), _>(source, sloppy)
            .catch(&ctx)
            .map_err(|e| {
                explain(
                    format!("the script failed to load: {e}"),
                    deadline,
                    budget,
                    limits,
                )
            })?;
        let globals = ctx.globals();
        let defined = |name: &str| globals.get::<_, Function>(name).is_ok();
        if !defined("FindProxyForURLEx") && !defined("FindProxyForURL") {
            return Err(Failure {
                error: pac_error("the script defines no function FindProxyForURL".to_owned()),
                retire: true,
            });
        }
        Ok(())
    })?;
    Ok(ctx)
}

fn nanos_after(epoch: Instant, t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX)
}

/// An error thrown while loading or calling, with its likely cause; the
/// runtime is retired after anything but an exception the script threw.
fn explain(message: String, deadline: Instant, budget: Duration, limits: PacLimits) -> Failure {
    if Instant::now() >= deadline || message.contains("interrupted") {
        Failure {
            error: pac_error(format!(
                "the script did not finish within {} ms",
                budget.as_millis()
            )),
            retire: true,
        }
    } else if message.contains("out of memory") {
        Failure {
            error: pac_error(format!(
                "the script ran out of memory (the cap is {} MiB)",
                limits.memory >> 20
            )),
            retire: true,
        }
    } else {
        let suspect = message.contains("InternalError")
            || message.contains("stack")
            || message.contains("too long");
        Failure {
            error: pac_error(message),
            retire: suspect,
        }
    }
}

fn string_result(value: &Value<'_>) -> Result<String, Error> {
    match value.as_string() {
        Some(s) => s
            .to_string()
            .map_err(|e| pac_error(format!("FindProxyForURL returned a bad string: {e}"))),
        None => Err(pac_error(format!(
            "FindProxyForURL returned {}, not a string",
            match value.type_name() {
                "int" | "float" => "a number",
                "bool" => "a boolean",
                "object" => "an object",
                "array" => "an array",
                "function" => "a function",
                other => other,
            }
        ))),
    }
}

/// The native half of the helpers, reading the current call's resolver
/// and clock.
fn install_natives<'js>(ctx: &rquickjs::Ctx<'js>, env: &Rc<RefCell<Env>>) -> Result<(), Error> {
    let set = |name: &str, f| install(ctx, name, f);
    let e = env.clone();
    set(
        "__resolve",
        Function::new(ctx.clone(), move |host: String| -> Vec<String> {
            let dns = e.borrow().dns.clone();
            dns.resolve(&host).iter().map(ToString::to_string).collect()
        }),
    )?;
    let e = env.clone();
    set(
        "__local",
        Function::new(ctx.clone(), move || -> Vec<String> {
            let dns = e.borrow().dns.clone();
            dns.local_addresses()
                .iter()
                .map(ToString::to_string)
                .collect()
        }),
    )?;
    let e = env.clone();
    set(
        "__now",
        Function::new(ctx.clone(), move || -> f64 {
            let clock = e.borrow().clock.clone();
            match clock.now().duration_since(UNIX_EPOCH) {
                Ok(d) => d.as_millis() as f64,
                Err(e) => -(e.duration().as_millis() as f64),
            }
        }),
    )?;
    set(
        "__isIp",
        Function::new(ctx.clone(), |text: String, family: i32| -> bool {
            match text.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => family != 6,
                Ok(IpAddr::V6(_)) => family != 4,
                Err(_) => false,
            }
        }),
    )?;
    set(
        "__inNetEx",
        Function::new(ctx.clone(), |ip: String, prefix: String| -> bool {
            in_net_ex(&ip, &prefix)
        }),
    )?;
    set(
        "__sortIps",
        Function::new(ctx.clone(), |list: String| -> Option<String> {
            sort_ip_list(&list)
        }),
    )?;
    set(
        "alert",
        // Logged nowhere, so a script cannot flood a log or memory.
        Function::new(ctx.clone(), |_message: rquickjs::Coerced<String>| {}),
    )?;
    Ok(())
}

fn install<'js>(
    ctx: &rquickjs::Ctx<'js>,
    name: &str,
    f: rquickjs::Result<Function<'js>>,
) -> Result<(), Error> {
    f.and_then(|f| ctx.globals().set(name, f))
        .map_err(|e| pac_error(format!("cannot install {name}: {e}")))
}

/// `isInNetEx(ip, "prefix/len")`: a CIDR test, an IPv4 address promoted to
/// IPv4-mapped IPv6 when the families differ; a bad prefix is false.
fn in_net_ex(ip: &str, prefix: &str) -> bool {
    let (Ok(ip), Ok(net)) = (ip.parse::<IpAddr>(), prefix.trim().parse::<ipnet::IpNet>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), ipnet::IpNet::V6(n)) => n.contains(&a.to_ipv6_mapped()),
        (IpAddr::V6(a), ipnet::IpNet::V4(n)) => a.to_ipv4_mapped().is_some_and(|a| n.contains(&a)),
        (a, n) => n.contains(&a),
    }
}

/// `sortIpAddressList`: IPv6 first, then IPv4, each ascending; the
/// original spellings kept; `None` (false) for an empty or invalid list.
fn sort_ip_list(list: &str) -> Option<String> {
    let mut items: Vec<(IpAddr, &str)> = Vec::new();
    for item in list.split(';') {
        let item = item.trim();
        items.push((item.parse().ok()?, item));
    }
    if items.is_empty() {
        return None;
    }
    items.sort_by_key(|(ip, _)| (ip.is_ipv4(), *ip));
    Some(items.iter().map(|(_, s)| *s).collect::<Vec<_>>().join(";"))
}

/// The PAC helpers, in JavaScript, over the native `__resolve`, `__local`,
/// `__now`, `__isIp`, `__inNetEx` and `__sortIps`.
const PRELUDE: &str = include_str!("prelude.js");

/// Loads `script` on this thread and times `rounds` calls of
/// `FindProxyForURL` in place, with no hand-off to a worker: the engine's
/// own cost, for the `pac` bench.
pub(super) fn engine_only(
    source: &str,
    env: Env,
    calls: &[(String, String)],
    rounds: u64,
) -> Result<Duration, Error> {
    let script = Script::new(source, false);
    let far = Instant::now() + Duration::from_secs(3600);
    let mut loaded = Loaded::load(&script, env.clone(), far).map_err(|f| f.error)?;
    let started = Instant::now();
    for i in 0..rounds {
        let (url, host) = &calls[(i as usize) % calls.len()];
        let job = Job {
            url: url.clone(),
            host: host.clone(),
            deadline: far,
            env: env.clone(),
        };
        loaded.call(job).map_err(|f| f.error)?;
    }
    Ok(started.elapsed())
}

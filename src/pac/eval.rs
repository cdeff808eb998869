//! Running a PAC script: QuickJS (through rquickjs) with limits the crate
//! sets, on a worker thread per evaluation.
//!
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
//!   chooses: by default [`SystemDns`] (the OS resolver, 1 s per lookup) and
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
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rquickjs::{CatchResultExt, Context, Function, Runtime, Value};

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
/// a timeout: a lookup that takes longer counts as "does not resolve" (its
/// thread finishes on its own). The default for [`PacScript`].
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
        let (tx, rx) = mpsc::channel();
        let name = format!("{host}:0");
        let spawned = std::thread::Builder::new()
            .name("proxyroute-dns".into())
            .spawn(move || {
                use std::net::ToSocketAddrs;
                let found: Vec<IpAddr> = name
                    .to_socket_addrs()
                    .map(|addrs| addrs.map(|a| a.ip()).collect())
                    .unwrap_or_default();
                let _ = tx.send(found);
            });
        if spawned.is_err() {
            return Vec::new();
        }
        let mut found = rx.recv_timeout(self.timeout).unwrap_or_default();
        found.dedup();
        found
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
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl Clock for SystemTime {
    fn now(&self) -> SystemTime {
        *self
    }
}

/// The limits an evaluation runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacLimits {
    /// How long one evaluation (loading the script and one call) may take.
    pub deadline: Duration,
    /// The runtime's memory cap, in bytes.
    pub memory: usize,
    /// The runtime's stack cap, in bytes.
    pub stack: usize,
}

impl Default for PacLimits {
    fn default() -> Self {
        PacLimits {
            deadline: Duration::from_millis(100),
            memory: 64 << 20,
            stack: 256 << 10,
        }
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
#[derive(Clone)]
pub struct PacScript {
    source: Arc<str>,
    limits: PacLimits,
    dns: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PacScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacScript")
            .field("bytes", &self.source.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn pac_error(why: String) -> Error {
    Error::new(ErrorKind::Pac(why), Origin::setting("PAC script"), "")
}

impl PacScript {
    /// A script from its source. It is loaded once here, under the default
    /// limits, so that a syntax error, a throwing top level or a missing
    /// `FindProxyForURL` fails now rather than on the first request.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Pac`] saying what is wrong with the script.
    pub fn new(source: &str) -> Result<Self, Error> {
        let script = PacScript {
            source: source.into(),
            limits: PacLimits::default(),
            dns: Arc::new(SystemDns::default()),
            clock: Arc::new(SystemClock),
        };
        script.run(None)?;
        Ok(script)
    }

    /// The same script, resolving names with `dns`.
    #[must_use]
    pub fn with_resolver(mut self, dns: impl HostResolver) -> Self {
        self.dns = Arc::new(dns);
        self
    }

    /// The same script, reading the time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The same script under other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: PacLimits) -> Self {
        self.limits = limits;
        self
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
        let url = target.to_string();
        self.call(&url, target.host())
            .map(|raw| PacResult::parse(&raw))
    }

    /// Calls `FindProxyForURL(url, host)` (or `FindProxyForURLEx`) and
    /// returns its string as is.
    ///
    /// # Errors
    ///
    /// As [`find_proxy`](PacScript::find_proxy).
    pub fn call(&self, url: &str, host: &str) -> Result<String, Error> {
        self.run(Some((url.to_owned(), host.to_owned())))
            .map(|r| r.unwrap_or_default())
    }

    /// Loads the script on a worker thread and, with `call`, calls it;
    /// waits until the deadline at most.
    fn run(&self, call: Option<(String, String)>) -> Result<Option<String>, Error> {
        let (tx, rx) = mpsc::channel();
        let job = Job {
            source: self.source.clone(),
            limits: self.limits,
            dns: self.dns.clone(),
            clock: self.clock.clone(),
            call,
        };
        let spawned = std::thread::Builder::new()
            .name("proxyroute-pac".into())
            .spawn(move || {
                let _ = tx.send(job.run());
            });
        if let Err(e) = spawned {
            return Err(pac_error(format!(
                "cannot start the evaluation thread: {e}"
            )));
        }
        // A little beyond the deadline: the script's own interrupt usually
        // answers first, with the better message.
        match rx.recv_timeout(self.limits.deadline + Duration::from_millis(50)) {
            Ok(result) => result,
            Err(_) => Err(pac_error(format!(
                "the script did not finish within {} ms (a built-in that never yields); \
                 its runtime was abandoned",
                self.limits.deadline.as_millis()
            ))),
        }
    }
}

struct Job {
    source: Arc<str>,
    limits: PacLimits,
    dns: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
    call: Option<(String, String)>,
}

impl Job {
    fn run(self) -> Result<Option<String>, Error> {
        let started = Instant::now();
        let deadline = started + self.limits.deadline;
        let rt = Runtime::new().map_err(|e| pac_error(format!("cannot start QuickJS: {e}")))?;
        rt.set_memory_limit(self.limits.memory);
        rt.set_max_stack_size(self.limits.stack);
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() >= deadline)));
        let ctx =
            Context::full(&rt).map_err(|e| pac_error(format!("cannot start QuickJS: {e}")))?;
        let limits = self.limits;
        let explain = move |message: String| {
            if Instant::now() >= deadline {
                pac_error(format!(
                    "the script did not finish within {} ms",
                    limits.deadline.as_millis()
                ))
            } else if message.contains("out of memory") {
                pac_error(format!(
                    "the script ran out of memory (the cap is {} MiB)",
                    limits.memory >> 20
                ))
            } else {
                pac_error(message)
            }
        };
        ctx.with(|ctx| {
            let globals = ctx.globals();
            let dns = self.dns.clone();
            let set = |name: &str, f| install(&globals, name, f);
            set(
                "__resolve",
                Function::new(ctx.clone(), move |host: String| -> Vec<String> {
                    dns.resolve(&host).iter().map(ToString::to_string).collect()
                }),
            )?;
            let dns = self.dns.clone();
            set(
                "__local",
                Function::new(ctx.clone(), move || -> Vec<String> {
                    dns.local_addresses()
                        .iter()
                        .map(ToString::to_string)
                        .collect()
                }),
            )?;
            let clock = self.clock.clone();
            set(
                "__now",
                Function::new(ctx.clone(), move || -> f64 {
                    let now = clock.now();
                    match now.duration_since(UNIX_EPOCH) {
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
            let alerts = Arc::new(Mutex::new(0usize));
            set(
                "alert",
                Function::new(ctx.clone(), move |_message: rquickjs::Coerced<String>| {
                    // Logged nowhere: counted, so a script cannot flood memory.
                    if let Ok(mut n) = alerts.lock() {
                        *n += 1;
                    }
                }),
            )?;
            ctx.eval::<(), _>(PRELUDE)
                .catch(&ctx)
                .map_err(|e| pac_error(format!("the helpers failed to load: {e}")))?;
            ctx.eval::<(), _>(&*self.source)
                .catch(&ctx)
                .map_err(|e| explain(format!("the script failed to load: {e}")))?;
            let globals = ctx.globals();
            let ex: Option<Function> = globals.get("FindProxyForURLEx").ok();
            let f: Function = match ex {
                Some(f) => f,
                None => globals.get("FindProxyForURL").map_err(|_| {
                    pac_error("the script defines no function FindProxyForURL".to_owned())
                })?,
            };
            let Some((url, host)) = self.call else {
                return Ok(None);
            };
            let value: Value = f
                .call((url, host))
                .catch(&ctx)
                .map_err(|e| explain(format!("FindProxyForURL threw: {e}")))?;
            match value.as_string() {
                Some(s) => s
                    .to_string()
                    .map(Some)
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
        })
    }
}

fn install<'js>(
    globals: &rquickjs::Object<'js>,
    name: &str,
    f: rquickjs::Result<Function<'js>>,
) -> Result<(), Error> {
    f.and_then(|f| globals.set(name, f))
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

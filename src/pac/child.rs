//! Evaluating PAC scripts in a child process, for scripts from networks
//! you do not trust.
//!
//! In-process limits bound a script's time and memory well, but not
//! absolutely: a built-in that never yields keeps its thread busy after the
//! deadline, and the engine itself is 70,000 lines of C. With
//! [`PacScript::new_isolated`](super::PacScript::new_isolated) the script
//! runs in a child process instead (still with every in-process limit)
//! under operating-system limits, and the child is killed when it does not
//! answer by the deadline.
//!
//! The child is your own program: call [`serve_stdio`] from `main` when it
//! is started with an argument you choose, and name that argument in
//! [`ChildProcess`]:
//!
//! ```no_run
//! use proxyroute::pac::child::{serve_stdio, ChildProcess};
//! use proxyroute::pac::PacScript;
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     if std::env::args().nth(1).as_deref() == Some("--pac-child") {
//!         serve_stdio()?;
//!         return Ok(());
//!     }
//!     let child = ChildProcess::new(std::env::current_exe()?).arg("--pac-child");
//!     let script = PacScript::new_isolated("function FindProxyForURL(u, h) { return 'DIRECT'; }", child)?;
//!     println!("{}", script.find_proxy(&"https://example.com/".parse()?)?);
//!     Ok(())
//! }
//! ```
//!
//! - **Limits.** On Unix the child starts through `/bin/sh -c 'ulimit -v
//!   ...; ulimit -t ...; exec program args'`: an address-space cap (default
//!   1 GiB) and a CPU-time cap over the child's life (default 60 s). The
//!   limits are set before the program starts, so no `unsafe` code is
//!   needed; if the shell cannot set them, the child does not start and
//!   calls fail. Elsewhere the child starts without OS limits (the in-process
//!   ones and the kill at the deadline still apply).
//! - **Deadline.** The parent waits for an answer until the call's deadline
//!   plus 200 ms (the in-process limits normally answer first), then kills
//!   the child; the next call starts a new one. A child that times out,
//!   runs out of memory or is interrupted exits after answering, and one
//!   that exits on its own (say, at its CPU-time cap) is started again and
//!   asked once more.
//! - **The resolver and the clock** stay in the parent: the child asks the
//!   parent for each `dnsResolve` and `myIpAddress` and for the time, so
//!   [`with_resolver`](super::PacScript::with_resolver) and
//!   [`with_clock`](super::PacScript::with_clock) work as in process. The
//!   parent answers these while it waits; the time a lookup takes counts
//!   against the call's deadline.
//! - **One child per script** (and per clone with its own settings): calls
//!   take turns; [`with_workers`](super::PacScript::with_workers) does not
//!   apply. The cache works as in process, in the parent.
//! - **The protocol** (stdin and stdout of the child; the child must write
//!   nothing else to stdout): each message is a header line, a word and
//!   decimal numbers separated by spaces, then as many byte strings as the
//!   word takes, whose lengths are the header's last numbers. The parent
//!   sends `load deadline_ms memory stack len` + script and `call
//!   deadline_ms memory stack len len` + URL + host; the child answers
//!   `loaded`, `answer branch len` + result (branch: the instrumented
//!   `return`'s number, 0 for none) or `error fatal len` + message, and may
//!   ask `resolve len` + host, `local` or `now`, answered by `ips len` +
//!   `;`-separated addresses or `time len` + milliseconds since 1970.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::eval::{pac_error, Clock, HostResolver, PacLimits};
use super::worker::{Answer, Env, Script};
use crate::error::{Error, ErrorKind};

/// How long past a call's deadline the parent waits before killing the
/// child.
const GRACE: Duration = Duration::from_millis(200);

/// The longest byte string a message may carry.
const MAX_PAYLOAD: usize = 16 << 20;

/// How to start the child process that evaluates a script: the program
/// (normally your own, [`std::env::current_exe`]), its arguments (the one
/// that makes it call [`serve_stdio`]) and the OS limits it runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildProcess {
    program: PathBuf,
    args: Vec<OsString>,
    address_space: u64,
    cpu_time: Duration,
}

impl ChildProcess {
    /// `program`, without arguments yet, with the default limits (1 GiB of
    /// address space, 60 s of CPU time).
    #[must_use]
    pub fn new(program: impl Into<PathBuf>) -> Self {
        ChildProcess {
            program: program.into(),
            args: Vec::new(),
            address_space: 1 << 30,
            cpu_time: Duration::from_secs(60),
        }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The child's address-space cap, in bytes (Unix: `ulimit -v`). It
    /// must leave room for the program itself and its threads.
    #[must_use]
    pub fn address_space(mut self, bytes: u64) -> Self {
        self.address_space = bytes;
        self
    }

    /// The child's CPU-time cap over its whole life (Unix: `ulimit -t`,
    /// whole seconds, at least 1). A child that reaches it is killed by the
    /// OS and started again on the next call.
    #[must_use]
    pub fn cpu_time(mut self, time: Duration) -> Self {
        self.cpu_time = time;
        self
    }

    fn command(&self) -> Command {
        if cfg!(unix) {
            let mut cmd = Command::new("/bin/sh");
            cmd.arg("-c")
                .arg(format!(
                    "ulimit -v {} && ulimit -t {} && exec \"$0\" \"$@\"",
                    (self.address_space / 1024).max(1),
                    self.cpu_time.as_secs().max(1)
                ))
                .arg(&self.program)
                .args(&self.args);
            cmd
        } else {
            let mut cmd = Command::new(&self.program);
            cmd.args(&self.args);
            cmd
        }
    }
}

// ===== the wire format =====

#[derive(Debug)]
struct Message {
    word: String,
    numbers: Vec<u64>,
    payloads: Vec<Vec<u8>>,
}

impl Message {
    fn number(&self, i: usize) -> u64 {
        self.numbers.get(i).copied().unwrap_or(0)
    }

    fn text(&self, i: usize) -> String {
        self.payloads
            .get(i)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default()
    }
}

fn payload_count(word: &str) -> Option<usize> {
    Some(match word {
        "loaded" | "local" | "now" => 0,
        "load" | "answer" | "error" | "resolve" | "ips" | "time" => 1,
        "call" => 2,
        _ => return None,
    })
}

fn write_message(
    out: &mut impl Write,
    word: &str,
    numbers: &[u64],
    payloads: &[&[u8]],
) -> io::Result<()> {
    let mut header = String::from(word);
    for n in numbers
        .iter()
        .copied()
        .chain(payloads.iter().map(|p| p.len() as u64))
    {
        header.push(' ');
        header.push_str(&n.to_string());
    }
    header.push('\n');
    out.write_all(header.as_bytes())?;
    for p in payloads {
        out.write_all(p)?;
    }
    out.flush()
}

/// The next message, or `None` at the end of the input.
fn read_message(input: &mut impl BufRead) -> io::Result<Option<Message>> {
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_owned());
    let mut header = Vec::new();
    if input.by_ref().take(256).read_until(b'\n', &mut header)? == 0 {
        return Ok(None);
    }
    if header.pop() != Some(b'\n') {
        return Err(bad("a header line without an end"));
    }
    let header = String::from_utf8(header).map_err(|_| bad("a header that is not text"))?;
    let mut fields = header.split(' ');
    let word = fields.next().unwrap_or_default().to_owned();
    let count = payload_count(&word).ok_or_else(|| bad("an unknown message"))?;
    let mut numbers = fields
        .map(|f| f.parse::<u64>().map_err(|_| bad("a bad number")))
        .collect::<Result<Vec<_>, _>>()?;
    if numbers.len() < count {
        return Err(bad("missing lengths"));
    }
    let lengths = numbers.split_off(numbers.len() - count);
    let mut payloads = Vec::with_capacity(count);
    for len in lengths {
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= MAX_PAYLOAD)
            .ok_or_else(|| bad("a message too long"))?;
        let mut p = vec![0; len];
        input.read_exact(&mut p)?;
        payloads.push(p);
    }
    Ok(Some(Message {
        word,
        numbers,
        payloads,
    }))
}

fn limit_numbers(limits: PacLimits, trace: bool) -> [u64; 5] {
    [
        u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX),
        limits.memory as u64,
        limits.stack as u64,
        u64::try_from(limits.load.as_millis()).unwrap_or(u64::MAX),
        u64::from(trace),
    ]
}

fn limits_from(m: &Message) -> PacLimits {
    PacLimits {
        deadline: Duration::from_millis(m.number(0)),
        memory: usize::try_from(m.number(1)).unwrap_or(usize::MAX),
        stack: usize::try_from(m.number(2)).unwrap_or(usize::MAX),
        load: Duration::from_millis(m.number(3)),
    }
}

fn error_text(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Pac(why) => why.clone(),
        _ => e.to_string(),
    }
}

// ===== the parent side =====

/// A running child, its input, and its messages as a reader thread reads
/// them.
struct Running {
    child: Child,
    input: ChildStdin,
    messages: mpsc::Receiver<io::Result<Message>>,
    served: usize,
}

impl Running {
    fn send(&mut self, word: &str, numbers: &[u64], payloads: &[&[u8]]) -> io::Result<()> {
        write_message(&mut self.input, word, numbers, payloads)
    }

    fn kill(mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }
}

/// How a conversation with the child ended badly.
enum Trouble {
    /// The script failed; the child goes on.
    Script(Error),
    /// The script failed and the child exits (or must be killed).
    Fatal(Error),
    /// The child did not answer in time.
    Late,
    /// The child exited or spoke nonsense.
    Gone(String),
}

/// The parent's end: one child at a time for one script.
pub(super) struct ChildHost {
    config: ChildProcess,
    script: Arc<Script>,
    running: Mutex<Option<Running>>,
}

impl ChildHost {
    pub(super) fn new(config: ChildProcess, script: Arc<Script>) -> Self {
        ChildHost {
            config,
            script,
            running: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the child and loads the script, unless one is running.
    pub(super) fn warm(&self, env: &Env) -> Result<(), Error> {
        let mut running = self.lock();
        if running.is_none() {
            *running = Some(self.start(env, Instant::now() + env.limits.load)?);
        }
        Ok(())
    }

    pub(super) fn call(&self, env: &Env, url: &str, host: &str) -> Result<Answer, Error> {
        let mut slot = self.lock();
        let mut retried = false;
        loop {
            let mut running = match slot.take() {
                Some(running) => running,
                None => self.start(env, Instant::now() + env.limits.load)?,
            };
            let deadline = Instant::now() + env.limits.deadline;
            let veteran = running.served > 0;
            let sent = running.send(
                "call",
                &limit_numbers(env.limits, self.script.traced.is_some()),
                &[url.as_bytes(), host.as_bytes()],
            );
            let outcome = match sent {
                Ok(()) => converse(&mut running, env, deadline),
                Err(e) => Err(Trouble::Gone(format!("cannot write to it: {e}"))),
            };
            match outcome {
                Ok(m) => {
                    running.served += 1;
                    *slot = Some(running);
                    let branch = usize::try_from(m.number(0)).unwrap_or(0);
                    return Ok(Answer {
                        raw: m.text(0),
                        branch: branch.checked_sub(1),
                    });
                }
                Err(Trouble::Script(e)) => {
                    running.served += 1;
                    *slot = Some(running);
                    return Err(e);
                }
                Err(Trouble::Fatal(e)) => {
                    running.kill();
                    return Err(e);
                }
                Err(Trouble::Late) => {
                    running.kill();
                    return Err(pac_error(format!(
                        "the script did not finish within {} ms; its process was killed",
                        env.limits.deadline.as_millis()
                    )));
                }
                Err(Trouble::Gone(why)) => {
                    let status = running.kill();
                    // A child that served before may have reached its
                    // CPU-time cap: ask a fresh one, once.
                    if veteran && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(pac_error(format!(
                        "the PAC child process failed ({why}; {status})"
                    )));
                }
            }
        }
    }

    fn start(&self, env: &Env, deadline: Instant) -> Result<Running, Error> {
        let mut child = self
            .config
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                pac_error(format!(
                    "cannot start the PAC child process {}: {e}",
                    self.config.program.display()
                ))
            })?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(pac_error("the PAC child process has no pipes".into()));
        };
        let (tx, messages) = mpsc::channel();
        let reader = std::thread::Builder::new()
            .name("proxyroute-pac-child".into())
            .spawn(move || {
                let mut output = BufReader::new(output);
                loop {
                    let message = read_message(&mut output);
                    let end = !matches!(message, Ok(Some(_)));
                    let sent = match message {
                        Ok(Some(m)) => tx.send(Ok(m)),
                        Ok(None) => break,
                        Err(e) => tx.send(Err(e)),
                    };
                    if end || sent.is_err() {
                        break;
                    }
                }
            });
        let mut running = Running {
            child,
            input,
            messages,
            served: 0,
        };
        if let Err(e) = reader {
            running.kill();
            return Err(pac_error(format!("cannot start a reader thread: {e}")));
        }
        let sent = running.send(
            "load",
            &limit_numbers(env.limits, self.script.traced.is_some()),
            &[self.script.plain.as_bytes()],
        );
        let outcome = match sent {
            Ok(()) => converse(&mut running, env, deadline),
            Err(e) => Err(Trouble::Gone(format!("cannot write to it: {e}"))),
        };
        match outcome {
            Ok(_) => Ok(running),
            Err(Trouble::Script(e) | Trouble::Fatal(e)) => {
                running.kill();
                Err(e)
            }
            Err(Trouble::Late) => {
                running.kill();
                Err(pac_error(format!(
                    "the PAC child process did not load the script within {} ms (the load \
                     budget); it was killed",
                    env.limits.load.as_millis()
                )))
            }
            Err(Trouble::Gone(why)) => {
                let status = running.kill();
                Err(pac_error(format!(
                    "the PAC child process failed ({why}; {status})"
                )))
            }
        }
    }
}

/// Answers the child's questions until it gives its answer (`loaded` or
/// `answer`) or an error, or the deadline passes.
fn converse(running: &mut Running, env: &Env, deadline: Instant) -> Result<Message, Trouble> {
    loop {
        let wait = (deadline + GRACE).saturating_duration_since(Instant::now());
        let message = match running.messages.recv_timeout(wait) {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(Trouble::Gone(format!("a bad message: {e}"))),
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(Trouble::Late),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Trouble::Gone("it exited".into()))
            }
        };
        let reply = match message.word.as_str() {
            "loaded" | "answer" => return Ok(message),
            "error" => {
                let e = pac_error(message.text(0));
                return Err(if message.number(0) != 0 {
                    Trouble::Fatal(e)
                } else {
                    Trouble::Script(e)
                });
            }
            "resolve" => {
                let ips = env.dns.resolve(&message.text(0));
                running.send("ips", &[], &[join_ips(&ips).as_bytes()])
            }
            "local" => {
                let ips = env.dns.local_addresses();
                running.send("ips", &[], &[join_ips(&ips).as_bytes()])
            }
            "now" => {
                let millis = match env.clock.now().duration_since(UNIX_EPOCH) {
                    Ok(d) => d.as_millis() as i128,
                    Err(e) => -(e.duration().as_millis() as i128),
                };
                running.send("time", &[], &[millis.to_string().as_bytes()])
            }
            other => return Err(Trouble::Gone(format!("an unexpected {other:?}"))),
        };
        if let Err(e) = reply {
            return Err(Trouble::Gone(format!("cannot write to it: {e}")));
        }
    }
}

fn join_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

// ===== the child side =====

/// The child's line to the parent, for the resolver and the clock.
#[derive(Clone)]
struct Parent {
    input: Arc<Mutex<BufReader<io::Stdin>>>,
    output: Arc<Mutex<io::Stdout>>,
}

impl Parent {
    /// Asks the parent; `None` when the conversation broke.
    fn ask(&self, word: &str, payloads: &[&[u8]]) -> Option<Message> {
        {
            let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
            write_message(&mut *out, word, &[], payloads).ok()?;
        }
        let mut input = self.input.lock().unwrap_or_else(|e| e.into_inner());
        read_message(&mut *input).ok().flatten()
    }

    fn ips(&self, word: &str, payloads: &[&[u8]]) -> Vec<IpAddr> {
        match self.ask(word, payloads) {
            Some(m) if m.word == "ips" => m
                .text(0)
                .split(';')
                .filter_map(|ip| ip.parse().ok())
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl HostResolver for Parent {
    fn resolve(&self, host: &str) -> Vec<IpAddr> {
        self.ips("resolve", &[host.as_bytes()])
    }

    fn local_addresses(&self) -> Vec<IpAddr> {
        self.ips("local", &[])
    }
}

impl Clock for Parent {
    fn now(&self) -> SystemTime {
        let millis = self
            .ask("now", &[])
            .filter(|m| m.word == "time")
            .and_then(|m| m.text(0).parse::<i64>().ok());
        match millis {
            Some(ms) if ms >= 0 => UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs()),
            Some(ms) => UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs()),
            None => SystemTime::now(),
        }
    }
}

/// Serves PAC evaluations on standard input and output for a parent that
/// uses [`ChildProcess`], until the input ends or a call leaves the
/// script's runtime unusable (the process should then exit, which ends
/// threads still stuck in the script). Call it from `main` and write
/// nothing else to standard output.
///
/// # Errors
///
/// An I/O error on standard input or output, or a message that breaks the
/// protocol.
pub fn serve_stdio() -> Result<(), Error> {
    let parent = Parent {
        input: Arc::new(Mutex::new(BufReader::new(io::stdin()))),
        output: Arc::new(Mutex::new(io::stdout())),
    };
    let broken = |e: io::Error| pac_error(format!("the PAC child's protocol broke: {e}"));
    let mut script: Option<super::PacScript> = None;
    loop {
        let message = {
            let mut input = parent.input.lock().unwrap_or_else(|e| e.into_inner());
            read_message(&mut *input).map_err(broken)?
        };
        let Some(message) = message else {
            return Ok(());
        };
        let reply = |word: &str, numbers: &[u64], payloads: &[&[u8]]| {
            let mut out = parent.output.lock().unwrap_or_else(|e| e.into_inner());
            write_message(&mut *out, word, numbers, payloads).map_err(broken)
        };
        match message.word.as_str() {
            "load" => {
                let loaded = super::PacScript::load_with(
                    &message.text(0),
                    limits_from(&message),
                    message.number(4) != 0,
                    Arc::new(parent.clone()),
                    Arc::new(parent.clone()),
                );
                match loaded {
                    Ok(s) => {
                        script = Some(s);
                        reply("loaded", &[], &[])?;
                    }
                    Err(e) => {
                        reply("error", &[1], &[error_text(&e).as_bytes()])?;
                        return Ok(());
                    }
                }
            }
            "call" => {
                let Some(current) = script.take() else {
                    reply("error", &[1], &[b"no script was loaded"])?;
                    return Ok(());
                };
                let limits = limits_from(&message);
                let current = if current.limits() == limits {
                    current
                } else {
                    current.with_limits(limits)
                };
                let before = current.retirements();
                match current.answer(&message.text(0), &message.text(1)) {
                    Ok(answer) => {
                        let branch = answer.branch.map_or(0, |b| b as u64 + 1);
                        reply("answer", &[branch], &[answer.raw.as_bytes()])?;
                    }
                    Err(e) => {
                        let fatal = current.retirements() != before;
                        reply("error", &[u64::from(fatal)], &[error_text(&e).as_bytes()])?;
                        if fatal {
                            return Ok(());
                        }
                    }
                }
                script = Some(current);
            }
            other => {
                return Err(pac_error(format!(
                    "the PAC child's protocol broke: an unexpected {other:?}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back() {
        let mut wire = Vec::new();
        write_message(&mut wire, "call", &[100, 64, 256], &[b"http://x/", b"x"]).unwrap();
        write_message(&mut wire, "loaded", &[], &[]).unwrap();
        write_message(&mut wire, "ips", &[], &[b""]).unwrap();
        let mut input = &wire[..];
        let m = read_message(&mut input).unwrap().unwrap();
        assert_eq!(
            (m.word.as_str(), &m.numbers[..]),
            ("call", &[100, 64, 256][..])
        );
        assert_eq!((m.text(0), m.text(1)), ("http://x/".into(), "x".into()));
        assert_eq!(read_message(&mut input).unwrap().unwrap().word, "loaded");
        assert_eq!(read_message(&mut input).unwrap().unwrap().text(0), "");
        assert!(read_message(&mut input).unwrap().is_none());
    }

    #[test]
    fn bad_messages_are_errors() {
        for wire in [
            &b"bogus 1\n"[..],
            b"call 1 2\n",
            b"ips 5\nab",
            b"ips x\n",
            b"ips 99999999999\n",
            b"loaded",
        ] {
            let mut input = wire;
            assert!(read_message(&mut input).is_err(), "{wire:?}");
        }
    }
}

//! Blocking sockets with a deadline per step: name lookups, connects, and a
//! stream whose every read and write stops at the step's deadline.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::diagnosis::{NameSide, Problem};

/// A byte stream the probe talks through: TCP, or TLS over it.
pub(crate) trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// The deadline of the current step, shared by every layer of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Deadline(Rc<Cell<Instant>>);

impl Deadline {
    pub(crate) fn new(timeout: Duration) -> Self {
        Deadline(Rc::new(Cell::new(Instant::now() + timeout)))
    }

    /// Starts a new step: the deadline moves to `timeout` from now.
    pub(crate) fn restart(&self, timeout: Duration) {
        self.0.set(Instant::now() + timeout);
    }

    fn left(&self) -> io::Result<Duration> {
        let left = self.0.get().saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            Ok(left)
        }
    }
}

/// A TCP stream whose reads and writes fail with `TimedOut` at the deadline,
/// however slowly the peer trickles bytes.
#[derive(Debug)]
pub(crate) struct Timed {
    sock: TcpStream,
    deadline: Deadline,
}

impl Timed {
    pub(crate) fn new(sock: TcpStream, deadline: Deadline) -> Self {
        Timed { sock, deadline }
    }
}

fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::ErrorKind::TimedOut.into()
    } else {
        e
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.set_read_timeout(Some(self.deadline.left()?))?;
        self.sock.read(buf).map_err(timed_out)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.deadline.left()?))?;
        self.sock.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// The problem an I/O error stands for, at a step with this timeout.
pub(crate) fn problem(e: &io::Error, timeout: Duration) -> Problem {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Problem::TimedOut { after: timeout },
        io::ErrorKind::UnexpectedEof => Problem::Malformed(super::Malformed::Closed { after: 0 }),
        _ => Problem::Io {
            detail: e.to_string(),
        },
    }
}

/// Looks `host` up with the system resolver, giving up after `timeout`.
///
/// The lookup runs on a thread of its own, since `getaddrinfo` has no
/// timeout; one that outlives the timeout ends when the resolver gives up.
pub(crate) fn resolve(
    host: &str,
    port: u16,
    timeout: Duration,
    proxy_name: bool,
) -> Result<Vec<SocketAddr>, Problem> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let failed = |detail: String| Problem::NameNotResolved {
        host: host.to_owned(),
        side: NameSide::Client,
        proxy_name,
        detail,
    };
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("proxyroute-probe-dns".into())
        .spawn(move || {
            let _ = tx.send((name.as_str(), port).to_socket_addrs().map(Vec::from_iter));
        })
        .map_err(|e| failed(e.to_string()))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(failed("no addresses".to_owned())),
        Ok(Err(e)) => Err(failed(lookup_words(&e))),
        Err(_) => Err(Problem::TimedOut { after: timeout }),
    }
}

/// The resolver's message without Rust's wrapping ("failed to lookup address
/// information: Name or service not known" becomes the latter).
fn lookup_words(e: &io::Error) -> String {
    let text = e.to_string();
    match text.strip_prefix("failed to lookup address information: ") {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// Connects to the first address that answers, all within `timeout`.
pub(crate) fn connect(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, Problem> {
    let start = Instant::now();
    let mut last = None;
    for addr in addrs {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(sock) => {
                let _ = sock.set_nodelay(true);
                return Ok(sock);
            }
            Err(e) => {
                last = Some(match e.kind() {
                    io::ErrorKind::ConnectionRefused => Problem::Refused { addr: *addr },
                    _ => problem(&e, timeout),
                })
            }
        }
    }
    Err(last.unwrap_or(Problem::TimedOut { after: timeout }))
}

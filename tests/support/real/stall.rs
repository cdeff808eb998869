//! Proxies that misbehave, for the failover tests: a port that accepts and
//! never answers, one that accepts and closes at once, and a SOCKS5 server
//! that answers the greeting and then never answers the request.

#![allow(dead_code, unreachable_pub)]

use super::*;

/// What a [`Stall`] does with each connection it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Keeps the connection open and never sends a byte.
    Hang,
    /// Closes the connection at once.
    Close,
    /// Reads a SOCKS5 greeting, answers "no authentication", then reads the
    /// request and never answers it.
    SocksHangAfterGreeting,
}

/// A loopback port that accepts connections and misbehaves with each; counts
/// what it accepted and what it read. The connections it holds are closed
/// when it is dropped.
pub struct Stall {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
    /// Bytes read from each connection, in order (the proxy request).
    pub read: Arc<Mutex<Vec<Vec<u8>>>>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Stall {
    pub fn start(misbehaviour: Misbehaviour) -> Stall {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a stalling port");
        let port = listener.local_addr().expect("its address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let read = Arc::new(Mutex::new(Vec::new()));
        let held = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (accepted, read, held, stop) = (
                Arc::clone(&accepted),
                Arc::clone(&read),
                Arc::clone(&held),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let (read, held) = (Arc::clone(&read), Arc::clone(&held));
                    thread::spawn(move || misbehave(stream, misbehaviour, &read, &held));
                }
            });
        }
        Stall {
            port,
            accepted,
            read,
            held,
            stop,
        }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `host:port`, for a PAC answer.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything read so far, all connections, as text.
    pub fn read_text(&self) -> String {
        let read = self.read.lock().unwrap();
        read.iter()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn misbehave(
    mut stream: TcpStream,
    misbehaviour: Misbehaviour,
    read: &Mutex<Vec<Vec<u8>>>,
    held: &Mutex<Vec<TcpStream>>,
) {
    match misbehaviour {
        Misbehaviour::Close => drop(stream),
        Misbehaviour::Hang => {
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 4096];
            let got = match stream.read(&mut buf) {
                Ok(n) => buf[..n].to_vec(),
                Err(_) => Vec::new(),
            };
            read.lock().unwrap().push(got);
            held.lock().unwrap().push(stream);
        }
        Misbehaviour::SocksHangAfterGreeting => {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            // Version 5, n methods, the methods.
            let mut head = [0u8; 2];
            if stream.read_exact(&mut head).is_err() || head[0] != 5 {
                return;
            }
            let mut methods = vec![0u8; usize::from(head[1])];
            if stream.read_exact(&mut methods).is_err() {
                return;
            }
            let _ = stream.write_all(&[5, 0]);
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 512];
            let request = match stream.read(&mut buf) {
                Ok(n) => buf[..n].to_vec(),
                Err(_) => Vec::new(),
            };
            read.lock().unwrap().push(request);
            held.lock().unwrap().push(stream);
        }
    }
}

impl Drop for Stall {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.held.lock().unwrap().clear();
    }
}

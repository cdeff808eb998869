//! The lookups behind [`SystemDns`](super::SystemDns): a fixed set of
//! threads with a bounded queue, so that slow DNS never costs a thread per
//! call.
//!
//! `getaddrinfo` cannot be cancelled. A caller waits for its answer up to
//! its timeout and then gives up; the lookup itself finishes on the pool's
//! thread, which then takes the next one. While every thread is busy,
//! lookups wait in the queue; when the queue is full too, a lookup fails at
//! once ("does not resolve"). So the threads are at most [`THREADS`], the
//! waiting lookups at most [`QUEUE`], however slow the resolver.

use std::net::IpAddr;
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

/// The threads of the system resolver's pool (started on first use).
pub(crate) const THREADS: usize = 4;
/// The most lookups waiting for a thread.
pub(crate) const QUEUE: usize = 64;

type Lookup = fn(&str) -> Vec<IpAddr>;

/// Lookups on a fixed pool of threads over a bounded queue.
pub(crate) struct Pool {
    pool: super::pool::Pool,
    lookup: Lookup,
}

impl Pool {
    pub(crate) fn new(threads: usize, limit: usize, lookup: Lookup) -> Self {
        Pool {
            pool: super::pool::Pool::new("proxyroute-dns", threads, limit),
            lookup,
        }
    }

    /// The addresses of `host`, or none when the lookup takes longer than
    /// `timeout`, the queue is full, or the pool has no thread.
    pub(crate) fn lookup(&self, host: &str, timeout: Duration) -> Vec<IpAddr> {
        let (reply, answer) = mpsc::sync_channel(1);
        let (host, lookup) = (host.to_owned(), self.lookup);
        if !self.pool.submit(move || {
            let _ = reply.try_send(lookup(&host));
        }) {
            return Vec::new();
        }
        answer.recv_timeout(timeout).unwrap_or_default()
    }
}

/// `getaddrinfo` through the standard library.
fn system_lookup(host: &str) -> Vec<IpAddr> {
    use std::net::ToSocketAddrs;
    let mut found: Vec<IpAddr> = (host, 0)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default();
    found.dedup();
    found
}

/// The system resolver's pool, shared by every [`SystemDns`](super::SystemDns).
pub(crate) fn system() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(THREADS, QUEUE, system_lookup))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn slow(host: &str) -> Vec<IpAddr> {
        std::thread::sleep(Duration::from_millis(300));
        host.parse().into_iter().collect()
    }

    fn quick(host: &str) -> Vec<IpAddr> {
        host.parse().into_iter().collect()
    }

    #[test]
    fn lookups_that_time_out_leave_no_thread_behind() {
        let pool = Pool::new(2, 8, slow);
        let started = Instant::now();
        let mut answered = 0;
        for _ in 0..100 {
            answered += pool.lookup("10.0.0.1", Duration::from_millis(10)).len();
        }
        // Each call waited at most its timeout (or not at all, queue full).
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(answered, 0, "nothing answers within 10 ms");
        assert_eq!(pool.pool.started(), 2, "the pool's threads, no more");
        let queued = pool.pool.queued();
        assert!(queued <= 8, "{queued} queued");
    }

    #[test]
    fn a_free_pool_answers() {
        let pool = Pool::new(1, 4, quick);
        assert_eq!(
            pool.lookup("192.0.2.7", Duration::from_secs(5)),
            vec!["192.0.2.7".parse::<IpAddr>().unwrap()]
        );
        assert!(pool.lookup("nothing", Duration::from_secs(5)).is_empty());
    }
}

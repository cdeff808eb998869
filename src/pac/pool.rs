//! A fixed set of named threads over a bounded queue of jobs: what the
//! system resolver's lookups and the async evaluations run on, so that
//! neither ever costs a thread per call.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `threads` threads named `name`, started on the first job, taking jobs
/// in order from a queue that holds at most `limit`.
pub(crate) struct Pool {
    name: &'static str,
    threads: usize,
    limit: usize,
    queue: Arc<Queue>,
    /// How many threads started (once).
    started: OnceLock<usize>,
}

impl Pool {
    pub(crate) fn new(name: &'static str, threads: usize, limit: usize) -> Self {
        Pool {
            name,
            threads,
            limit,
            queue: Arc::new(Queue {
                jobs: Mutex::new(VecDeque::new()),
                ready: Condvar::new(),
            }),
            started: OnceLock::new(),
        }
    }

    /// Queues `job`: `false`, and the job dropped, when the queue is full
    /// or no thread could be started.
    pub(crate) fn submit(&self, job: impl FnOnce() + Send + 'static) -> bool {
        if self.started() == 0 {
            return false;
        }
        {
            let mut jobs = self.queue.lock();
            if jobs.len() >= self.limit {
                return false;
            }
            jobs.push_back(Box::new(job));
        }
        self.queue.ready.notify_one();
        true
    }

    /// The threads started (starting them on first use).
    pub(crate) fn started(&self) -> usize {
        *self.started.get_or_init(|| {
            (0..self.threads)
                .filter(|_| {
                    let queue = Arc::clone(&self.queue);
                    std::thread::Builder::new()
                        .name(self.name.to_owned())
                        .spawn(move || serve(&queue))
                        .is_ok()
                })
                .count()
        })
    }

    /// Jobs waiting for a thread.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queue.lock().len()
    }
}

fn serve(queue: &Queue) {
    loop {
        let job = {
            let mut jobs = queue.lock();
            loop {
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                jobs = queue
                    .ready
                    .wait(jobs)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn jobs_run_on_the_pools_threads_and_a_full_queue_refuses() {
        let pool = Pool::new("proxyroute-test-pool", 2, 3);
        // Hold both threads, then fill the queue.
        let (release, held) = mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        let (started_tx, started_rx) = mpsc::channel();
        for _ in 0..2 {
            let (held, started_tx) = (Arc::clone(&held), started_tx.clone());
            assert!(pool.submit(move || {
                started_tx.send(()).unwrap();
                let _ = held.lock().unwrap().recv();
            }));
        }
        for _ in 0..2 {
            started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        let ran = Arc::new(AtomicUsize::new(0));
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..3 {
            let (ran, done_tx) = (Arc::clone(&ran), done_tx.clone());
            assert!(pool.submit(move || {
                ran.fetch_add(1, Ordering::SeqCst);
                done_tx
                    .send(std::thread::current().name().map(str::to_owned))
                    .unwrap();
            }));
        }
        assert_eq!(pool.queued(), 3);
        assert!(
            !pool.submit(|| unreachable!("refused")),
            "the queue is full"
        );
        release.send(()).unwrap();
        release.send(()).unwrap();
        for _ in 0..3 {
            let name = done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_eq!(name.as_deref(), Some("proxyroute-test-pool"));
        }
        assert_eq!(ran.load(Ordering::SeqCst), 3);
        assert_eq!(pool.started(), 2, "the pool's threads, no more");
    }
}

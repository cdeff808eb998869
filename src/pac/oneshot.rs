//! A one-value channel whose receiving end is a [`Future`], woken from the
//! sending thread: how the crate's async entries wait for a thread without
//! blocking an executor, with no runtime dependency.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::error::{Error, ErrorKind, Origin};

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The sender is gone (sent or dropped).
    closed: bool,
}

struct Slot<T>(Mutex<State<T>>);

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The sending end: sends once, or closes the channel when dropped.
pub(crate) struct Sender<T>(Arc<Slot<T>>);

/// The receiving end: a future of the value, `None` when the sender was
/// dropped without sending.
pub(crate) struct Receiver<T>(Arc<Slot<T>>);

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receiver")
    }
}

pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Slot(Mutex::new(State {
        value: None,
        waker: None,
        closed: false,
    })));
    (Sender(slot.clone()), Receiver(slot))
}

impl<T> Sender<T> {
    pub(crate) fn send(self, value: T) {
        self.0.lock().value = Some(value);
        // Dropping self closes and wakes.
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.lock();
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Some(value));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

fn gone(what: &str) -> Error {
    Error::new(
        ErrorKind::Pac(format!("{what}: the thread ended without an answer")),
        Origin::setting("PAC"),
        "",
    )
}

/// Runs `work` on a new thread named `name`; the future gives its result.
pub(crate) fn spawn<T, F>(name: &str, work: F) -> impl Future<Output = Result<T, Error>> + Send
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Error> + Send + 'static,
{
    let (tx, rx) = channel();
    let started = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || tx.send(work()));
    let refused = started.err().map(|e| {
        Error::new(
            ErrorKind::Pac(format!("cannot start a thread: {e}")),
            Origin::setting("PAC"),
            "",
        )
    });
    let name = name.to_owned();
    async move {
        if let Some(e) = refused {
            return Err(e);
        }
        rx.await.unwrap_or_else(|| Err(gone(&name)))
    }
}

/// The threads that run evaluations for async callers: a fixed number,
/// started on first use, over a bounded queue.
pub(crate) mod dispatch {
    use std::sync::OnceLock;

    /// Threads running evaluations for async callers.
    pub(crate) const THREADS: usize = 4;
    /// The most evaluations waiting for one of them.
    pub(crate) const QUEUE: usize = 1024;

    /// Queues `job`; `false` when the queue is full (the job is dropped).
    pub(crate) fn submit(job: impl FnOnce() + Send + 'static) -> bool {
        static POOL: OnceLock<super::super::pool::Pool> = OnceLock::new();
        POOL.get_or_init(|| super::super::pool::Pool::new("proxyroute-pac-async", THREADS, QUEUE))
            .submit(job)
    }
}

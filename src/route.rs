//! [`Route`]: where a request goes, borrowed from the resolver without
//! allocating, or holding the shared hops of a PAC answer.

use std::fmt;
use std::sync::Arc;

use crate::decision::HopBuf;
use crate::error::Error;
use crate::proxy::Proxy;

/// One step of a route: connect directly, or through this proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hop<'a> {
    /// Connect to the target directly.
    Direct,
    /// Connect through this proxy.
    Proxy(&'a Proxy),
}

impl fmt::Display for Hop<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hop::Direct => f.write_str("DIRECT"),
            Hop::Proxy(p) => write!(f, "{p}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr<'a> {
    Direct,
    Proxy(&'a Proxy),
    /// Several hops, held by a `Decision`.
    Hops(&'a [HopBuf]),
    /// A PAC answer's hops, shared with the script's cache.
    Shared(Arc<[HopBuf]>),
    Refused(&'a Error),
    /// A PAC failure, made at query time.
    RefusedShared(Arc<Error>),
}

/// The hops to try for a request, in order, or the reason no route can be given.
///
/// Environment and explicit settings give one hop; a PAC result may give
/// several. A route is *refused* when a configured source failed (a proxy
/// variable that is not a URL, Go's CGI guard, a PAC script that cannot be
/// evaluated): the crate never turns such a failure into a silent `DIRECT`.
///
/// A route borrows from the resolver (or [`Decision`](crate::Decision)) that
/// gave it, or, for an answer a PAC script made at query time, holds that
/// answer's hops in a shared, reference-counted slice: cloning a route never
/// copies a hop, and only a PAC answer is ever held this way.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    repr: Repr<'a>,
}

impl<'a> Route<'a> {
    /// Connect directly.
    pub const DIRECT: Route<'static> = Route { repr: Repr::Direct };

    pub(crate) fn via(proxy: &'a Proxy) -> Self {
        Route {
            repr: Repr::Proxy(proxy),
        }
    }

    /// The hops of a PAC answer, shared; an empty list or a lone
    /// `DIRECT` is [`DIRECT`](Route::DIRECT).
    #[cfg(feature = "pac")]
    pub(crate) fn shared(hops: Arc<[HopBuf]>) -> Self {
        match &*hops {
            [] | [HopBuf::Direct] => Route::DIRECT,
            _ => Route {
                repr: Repr::Shared(hops),
            },
        }
    }

    /// A failure made at query time (a PAC script's).
    #[cfg(feature = "pac")]
    pub(crate) fn refused_shared(error: Arc<Error>) -> Self {
        Route {
            repr: Repr::RefusedShared(error),
        }
    }

    /// The hops of a decision; an empty list is `DIRECT`.
    pub(crate) fn hop_list(hops: &'a [HopBuf]) -> Self {
        match hops {
            [] | [HopBuf::Direct] => Route::DIRECT,
            [HopBuf::Proxy(p)] => Route::via(p),
            hops => Route {
                repr: Repr::Hops(hops),
            },
        }
    }

    pub(crate) fn refused(error: &'a Error) -> Self {
        Route {
            repr: Repr::Refused(error),
        }
    }

    /// Whether the route is exactly one direct connection.
    pub fn is_direct(&self) -> bool {
        matches!(self.repr, Repr::Direct)
    }

    /// Whether no route can be given; see [`error`](Route::error).
    pub fn is_refused(&self) -> bool {
        matches!(self.repr, Repr::Refused(_) | Repr::RefusedShared(_))
    }

    /// The first proxy to try, if the route has one.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.hops().find_map(|hop| match hop {
            Hop::Proxy(p) => Some(p),
            Hop::Direct => None,
        })
    }

    /// The first hop to try; `None` when the route is refused.
    pub fn first(&self) -> Option<Hop<'_>> {
        self.hops().next()
    }

    /// The hops in order; none when the route is refused.
    pub fn hops(&self) -> Hops<'_> {
        let (next, rest): (_, &[HopBuf]) = match &self.repr {
            Repr::Direct => (Some(Hop::Direct), &[]),
            Repr::Proxy(p) => (Some(Hop::Proxy(p)), &[]),
            Repr::Hops(hops) => (None, hops),
            Repr::Shared(hops) => (None, hops),
            Repr::Refused(_) | Repr::RefusedShared(_) => (None, &[]),
        };
        Hops {
            next,
            rest: rest.iter(),
        }
    }

    /// Why no route can be given, for a refused route.
    pub fn error(&self) -> Option<&Error> {
        match &self.repr {
            Repr::Refused(e) => Some(e),
            Repr::RefusedShared(e) => Some(e),
            _ => None,
        }
    }

    /// The route, owning what it borrowed: a `Route<'static>` that outlives
    /// the resolver. Clones the proxy or the error of a borrowed route
    /// (hops a route shares are not copied).
    pub fn into_owned(self) -> Route<'static> {
        let repr = match self.repr {
            Repr::Direct => Repr::Direct,
            Repr::Proxy(p) => Repr::Shared(Arc::new([HopBuf::Proxy(p.clone())])),
            Repr::Hops(hops) => Repr::Shared(hops.into()),
            Repr::Shared(hops) => Repr::Shared(hops),
            Repr::Refused(e) => Repr::RefusedShared(Arc::new(e.clone())),
            Repr::RefusedShared(e) => Repr::RefusedShared(e),
        };
        Route { repr }
    }
}

/// Routes are equal when they give the same hops in the same order, or are
/// refused for equal errors, however they hold them.
impl PartialEq for Route<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.error() == other.error() && self.hops().eq(other.hops())
    }
}

impl Eq for Route<'_> {}

impl fmt::Display for Route<'_> {
    /// `DIRECT`, the proxy URL (password as `***`), hops joined by `; `, or
    /// `refused: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = self.error() {
            return write!(f, "refused: {e}");
        }
        for (i, hop) in self.hops().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{hop}")?;
        }
        Ok(())
    }
}

/// The hops of a [`Route`], in order.
#[derive(Debug, Clone)]
pub struct Hops<'a> {
    next: Option<Hop<'a>>,
    rest: std::slice::Iter<'a, HopBuf>,
}

impl<'a> Iterator for Hops<'a> {
    type Item = Hop<'a>;

    fn next(&mut self) -> Option<Hop<'a>> {
        self.next.take().or_else(|| {
            self.rest.next().map(|hop| match hop {
                HopBuf::Direct => Hop::Direct,
                HopBuf::Proxy(p) => Hop::Proxy(p),
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.next.is_some()) + self.rest.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Hops<'_> {}

/// A route being resolved: what
/// [`Resolver::resolve_async`](crate::Resolver::resolve_async) returns.
///
/// It is ready at once unless a PAC script must run; then the script runs
/// on a thread of the crate's own, and the future is woken from there, on
/// any executor (the crate depends on no async runtime).
#[derive(Debug)]
#[must_use = "a future does nothing unless polled"]
pub struct RouteFuture<'a> {
    state: FutureState<'a>,
}

#[derive(Debug)]
enum FutureState<'a> {
    Ready(Option<Route<'a>>),
    #[cfg(feature = "pac")]
    Waiting {
        answer: crate::pac::oneshot::Receiver<Route<'static>>,
        source: String,
    },
}

impl<'a> RouteFuture<'a> {
    pub(crate) fn ready(route: Route<'a>) -> Self {
        RouteFuture {
            state: FutureState::Ready(Some(route)),
        }
    }

    #[cfg(feature = "pac")]
    pub(crate) fn waiting(
        answer: crate::pac::oneshot::Receiver<Route<'static>>,
        source: String,
    ) -> Self {
        RouteFuture {
            state: FutureState::Waiting { answer, source },
        }
    }
}

impl<'a> std::future::Future for RouteFuture<'a> {
    type Output = Route<'a>;

    /// # Panics
    ///
    /// When polled again after it gave its route, as futures may.
    #[cfg_attr(not(feature = "pac"), allow(unused_variables))]
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Route<'a>> {
        use std::task::Poll;
        match &mut self.state {
            FutureState::Ready(route) => match route.take() {
                Some(route) => Poll::Ready(route),
                None => panic!("RouteFuture polled after it completed"),
            },
            #[cfg(feature = "pac")]
            FutureState::Waiting { answer, source } => match std::pin::Pin::new(answer).poll(cx) {
                Poll::Ready(Some(route)) => Poll::Ready(route),
                Poll::Ready(None) => Poll::Ready(Route::refused_shared(Arc::new(Error::new(
                    crate::error::ErrorKind::Pac(
                        "the evaluation thread ended without an answer".to_owned(),
                    ),
                    crate::error::Origin::setting(source.clone()),
                    "",
                )))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

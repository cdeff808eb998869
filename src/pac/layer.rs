//! A PAC script as a layer of the [`Resolver`](crate::Resolver): the script
//! answers, and the answer is kept where a borrowed [`Route`] can point.
//!
//! `Resolver::resolve` returns a `Route<'_>` borrowed from the resolver. A
//! script's answer is made at query time, so the layer interns each distinct
//! answer (its hops) in a fixed array of write-once cells: an answer, once
//! stored, never moves or changes, so a route may borrow it for as long as
//! the resolver lives, without `unsafe` and without a lock on the read side.
//! Scripts give few distinct answers (`DIRECT`, a proxy or two, a fallback
//! list); past [`ANSWERS`] of them, or [`FAILURES`] distinct failures, the
//! route is refused with an error that says so, never a silent `DIRECT`, and
//! `Resolver::explain` still gives the script's answer.

use std::sync::{Mutex, OnceLock};

use super::{PacAnswer, PacHop, PacResult, PacScript};
use crate::decision::HopBuf;
use crate::error::{Error, ErrorKind, Origin};
use crate::route::Route;
use crate::target::Target;

/// The most distinct answers one layer keeps for borrowed routes.
pub(crate) const ANSWERS: usize = 256;
/// The most distinct failures one layer keeps for borrowed routes.
pub(crate) const FAILURES: usize = 64;

/// A PAC script (or the error that kept it from loading) and the answers it
/// gave so far.
pub(crate) struct PacLayer {
    /// Where the script came from: `custom:pac` or the system key.
    pub(crate) source: String,
    /// The script's location, for explanations.
    pub(crate) location: String,
    pub(crate) script: Result<PacScript, Error>,
    /// A traced copy of the script, loaded on the first explanation, that
    /// names the `return` that answered (the script itself runs as written).
    traced: OnceLock<Result<PacScript, Error>>,
    answers: Box<[OnceLock<Box<[HopBuf]>>]>,
    failures: Box<[OnceLock<Error>]>,
    /// Serialises the writers; readers only look at set cells.
    fill: Mutex<()>,
    full: Error,
    /// A failure means `DIRECT` (the caller asked for that), not a refusal.
    pub(crate) failure_direct: bool,
}

impl std::fmt::Debug for PacLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacLayer")
            .field("source", &self.source)
            .field("location", &self.location)
            .field("script", &self.script)
            .finish_non_exhaustive()
    }
}

impl PacLayer {
    pub(crate) fn new(source: String, location: String, script: Result<PacScript, Error>) -> Self {
        PacLayer {
            failure_direct: false,
            full: Error::new(
                ErrorKind::Pac(format!(
                    "the script gave more than {ANSWERS} distinct answers or {FAILURES} distinct \
                     failures; Resolver::explain still evaluates it"
                )),
                Origin::setting(source.clone()),
                "",
            ),
            source,
            location,
            script,
            traced: OnceLock::new(),
            answers: (0..ANSWERS).map(|_| OnceLock::new()).collect(),
            failures: (0..FAILURES).map(|_| OnceLock::new()).collect(),
            fill: Mutex::new(()),
        }
    }

    /// Asks the script (or its cache), owning the answer.
    pub(crate) fn answer(&self, target: &Target) -> Result<PacAnswer, Error> {
        let script = self.script.as_ref().map_err(Clone::clone)?;
        script
            .find_proxy_traced(target)
            .map_err(|e| e.with_origin(Origin::setting(self.source.clone())))
    }

    /// As [`answer`](PacLayer::answer), with the `return` that answered:
    /// the script answers (so `explain` and `resolve` agree, cache and
    /// all), and a traced copy of it, loaded on first use, is asked which
    /// branch gives that answer. No branch is named when the copy cannot be
    /// loaded or answers otherwise (a script whose answer depends on its
    /// state or the time).
    pub(crate) fn explained(&self, target: &Target) -> Result<PacAnswer, Error> {
        let answer = self.answer(target)?;
        if answer.branch().is_some() {
            return Ok(answer);
        }
        let Ok(script) = &self.script else {
            return Ok(answer);
        };
        let twin = self.traced.get_or_init(|| script.twin(true));
        let branch = twin
            .as_ref()
            .ok()
            .and_then(|twin| twin.find_proxy_traced(target).ok())
            .filter(|traced| traced.raw() == answer.raw())
            .and_then(|traced| traced.branch().cloned());
        Ok(answer.with_branch(branch))
    }

    /// The route for `target`, borrowed from the interned answers.
    pub(crate) fn route(&self, target: &Target) -> Route<'_> {
        match self.answer(target) {
            Ok(answer) => {
                let hops = hop_bufs(answer.result());
                match intern(&self.answers, &self.fill, hops, |a, b| a == b) {
                    Some(hops) => Route::hop_list(hops),
                    None => Route::refused(&self.full),
                }
            }
            Err(_) if self.failure_direct => Route::DIRECT,
            Err(error) => match intern(&self.failures, &self.fill, error, |a, b| a == b) {
                Some(error) => Route::refused(error),
                None => Route::refused(&self.full),
            },
        }
    }
}

/// The hops of a PAC result, as a decision holds them.
pub(crate) fn hop_bufs(result: &PacResult) -> Box<[HopBuf]> {
    result
        .hops()
        .iter()
        .map(|hop| match hop {
            PacHop::Direct => HopBuf::Direct,
            PacHop::Proxy(p) => HopBuf::Proxy(p.clone()),
        })
        .collect()
}

/// The cell holding a value equal to `value`, filling the first free cell
/// with it if none does; `None` when every cell holds something else.
fn intern<'a, T, U>(
    cells: &'a [OnceLock<T>],
    fill: &Mutex<()>,
    value: U,
    same: impl Fn(&T, &U) -> bool,
) -> Option<&'a T>
where
    U: Into<T>,
{
    let find = || {
        cells
            .iter()
            .map_while(OnceLock::get)
            .find(|held| same(held, &value))
    };
    if let Some(held) = find() {
        return Some(held);
    }
    // A poisoned lock guards no data of its own: go on.
    let _guard = fill
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(held) = find() {
        return Some(held);
    }
    let free = cells.iter().find(|cell| cell.get().is_none())?;
    Some(free.get_or_init(|| value.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern_keeps_one_cell_per_distinct_value_and_stops_when_full() {
        let cells: Vec<OnceLock<String>> = (0..3).map(|_| OnceLock::new()).collect();
        let fill = Mutex::new(());
        let same = |a: &String, b: &&str| a == b;
        let a = intern(&cells, &fill, "a", same).map(|s| s as *const String);
        let again = intern(&cells, &fill, "a", same).map(|s| s as *const String);
        assert_eq!(a, again, "an equal value reuses its cell");
        assert_eq!(
            intern(&cells, &fill, "b", same).map(String::as_str),
            Some("b")
        );
        assert_eq!(
            intern(&cells, &fill, "c", same).map(String::as_str),
            Some("c")
        );
        assert_eq!(intern(&cells, &fill, "d", same), None, "full");
        assert_eq!(
            intern(&cells, &fill, "b", same).map(String::as_str),
            Some("b")
        );
    }
}

//! Proxy auto-config (PAC): what a `FindProxyForURL` result means, and
//! (with the `pac` feature) running the script itself in a sandbox.
//!
//! [`PacResult::parse`] reads a return string such as
//! `"PROXY a.corp:3128; SOCKS5 b.corp:1080; DIRECT"` into its hops in
//! fallback order, the way browsers read it: keywords in any case, blanks
//! and empty entries ignored, `SOCKS` meaning SOCKS4, `HTTPS` meaning TLS to
//! the proxy, bad entries skipped and reported, and nothing valid left
//! meaning `DIRECT`.
//!
//! ```
//! use proxyroute::pac::{PacHop, PacResult};
//! let r = PacResult::parse(" PROXY a.corp:3128 ;; socks b.corp; DIRECT x; DIRECT ");
//! let hops: Vec<String> = r.hops().iter().map(|h| h.to_string()).collect();
//! assert_eq!(hops, ["http://a.corp:3128", "socks4://b.corp:1080", "DIRECT"]);
//! assert_eq!(r.violations()[0].text(), "DIRECT x");
//! assert!(matches!(r.hops()[2], PacHop::Direct));
//! ```

mod result;

#[cfg(feature = "pac")]
mod cache;
#[cfg(feature = "pac")]
pub mod child;
// The coarse clock the cache's freshness checks read.
#[cfg(feature = "pac")]
mod coarse;
#[cfg(feature = "pac")]
mod dns;
#[cfg(feature = "pac")]
mod eval;
#[cfg(feature = "pac")]
pub mod fetch;
#[cfg(feature = "pac")]
pub(crate) mod layer;
#[cfg(feature = "pac")]
pub(crate) mod oneshot;
// The fixed thread pools behind DNS lookups and async evaluations.
#[cfg(feature = "pac")]
mod pool;
#[cfg(feature = "pac")]
mod trace;
#[cfg(feature = "pac")]
mod worker;
#[cfg(feature = "pac-fetch")]
pub mod wpad;

pub use result::{PacHop, PacResult};

#[cfg(feature = "pac")]
pub use cache::{PacAnswer, PacCache};
#[cfg(feature = "pac")]
pub use eval::{
    Clock, HostResolver, NoDns, PacLimits, PacScript, PacScriptBuilder, SystemClock, SystemDns,
};
#[cfg(feature = "pac")]
pub use trace::Branch;

/// Where the branch tracer would mark `source` (`(keyword, insertion)` byte
/// offsets) and the marked text: a hook for the `pac_trace` fuzz target, not
/// part of the API.
#[cfg(feature = "pac")]
#[doc(hidden)]
pub fn __trace_insertions(source: &str) -> Option<(String, Vec<(usize, usize)>)> {
    trace::insertions(source)
}

/// Times `rounds` calls of `script`'s `FindProxyForURL` on a runtime loaded
/// on the calling thread, with no worker hand-off and no cache (the
/// origin of each target is passed, as `find_proxy` does): a hook for the
/// `pac` bench's engine-only group, not part of the API.
///
/// # Errors
///
/// The script's.
#[cfg(feature = "pac")]
#[doc(hidden)]
pub fn __engine_only(
    script: &PacScript,
    targets: &[crate::Target],
    rounds: u64,
) -> Result<std::time::Duration, crate::Error> {
    let calls: Vec<(String, String)> = targets
        .iter()
        .map(|t| (t.to_string(), t.host().to_owned()))
        .collect();
    script.engine_only(&calls, rounds)
}

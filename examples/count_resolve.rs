//! Resolves the URL set of `benches/resolve.rs` many times, for instruction
//! counts that machine load does not disturb.
//!
//! ```text
//! cargo build --release --example count_resolve
//! valgrind --tool=callgrind --toggle-collect='*resolve_rounds*' \
//!     target/release/examples/count_resolve 10000 2000
//! ```
//!
//! Arguments: the number of `NO_PROXY` entries (as in the bench: 4, 100, 1000
//! or 10000; default 10000) and the number of rounds over the URL set
//! (default 1000). Only `resolve_rounds` is counted, so the instruction total
//! divided by the resolves it prints is the cost of one `resolve`.

use std::hint::black_box;

use proxyroute::{Dialect, Resolver, Target};

#[path = "../benches/support/workload.rs"]
mod workload;

#[inline(never)]
fn resolve_rounds(resolver: &Resolver, targets: &[Target], rounds: usize) -> usize {
    let mut direct = 0;
    for _ in 0..rounds {
        for t in targets {
            direct += usize::from(black_box(resolver.resolve(black_box(t))).is_direct());
        }
    }
    direct
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: usize| {
        args.next()
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (entries, rounds) = (arg(10000), arg(1000));
    let vars = workload::vars(&workload::no_proxy(entries));
    let resolver = Resolver::from_env_with(Dialect::Hyper, proxyroute::env::lookup_in(&vars));
    assert!(resolver.violations().is_empty());
    let set = workload::urls(entries);
    let targets: Vec<Target> = set.iter().map(|(u, _)| Target::parse(u).unwrap()).collect();
    for ((url, bypass), t) in set.iter().zip(&targets) {
        assert_eq!(resolver.resolve(t).is_direct(), *bypass, "{url}");
    }
    let direct = resolve_rounds(&resolver, &targets, rounds);
    assert_eq!(direct % rounds.max(1), 0);
    println!(
        "{entries} entries: {} resolves ({} per round)",
        rounds * workload::URLS_PER_ITER,
        targets.len(),
    );
}

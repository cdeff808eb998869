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
//!
//! `count_resolve parse DIALECT [ROUNDS]` instead parses and compiles the
//! bench's 10,000-entry list under `DIALECT` (as `parse_no_proxy/<dialect>`
//! does), counted with `--toggle-collect='*parse_rounds*'`.

use std::hint::black_box;

use proxyroute::{BypassList, Dialect, Resolver, Target};

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

#[inline(never)]
fn parse_rounds(text: &str, dialect: Dialect, rounds: usize) -> usize {
    (0..rounds)
        .map(|_| {
            let list = BypassList::parse(black_box(text), dialect);
            black_box(list.compile()).rules().len()
        })
        .sum()
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("parse") {
        let name = args.nth(1).unwrap_or_else(|| "curl".to_owned());
        let dialect = *Dialect::ALL
            .iter()
            .find(|d| d.as_str() == name)
            .expect("a dialect name");
        let rounds = args.next().map_or(1, |a| a.parse().expect("a number"));
        let rules = parse_rounds(&workload::no_proxy(10000), dialect, rounds);
        println!(
            "{name}: {rounds} parses, {} rules each",
            rules / rounds.max(1)
        );
        return;
    }
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

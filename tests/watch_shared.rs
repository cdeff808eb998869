//! `SharedResolver` (issue 17): loading and resolving allocate nothing, even
//! while another thread swaps resolvers; readers racing a swapper see the old
//! or the new configuration, whole, never a mixture.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxyroute::{Dialect, Resolver, SharedResolver, Target};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

const URLS: &[&str] = &[
    "http://example.com/",
    "https://api.example.com/v1",
    "https://wiki.internal.corp/",
    "http://10.1.2.3/",
    "https://[2001:db8::1]/",
    "http://localhost:3000/",
    "ws://chat.example.com/",
    "ftp://files.example.com/",
    "http://only-b.test/",
];

/// Configuration A: one proxy, a bypass list.
fn config_a() -> Resolver {
    Resolver::builder()
        .proxy("http://alice:secret@proxy-a.corp:3128")
        .bypass("localhost,.internal.corp,10.0.0.0/8")
        .build()
        .unwrap()
}

/// Configuration B: the environment under Go's reading, other proxies, another
/// bypass list: every URL above gets a different answer from A's somewhere.
fn config_b() -> Resolver {
    let vars = [
        ("HTTP_PROXY", "http://proxy-b.corp:8080"),
        ("HTTPS_PROXY", "socks5h://127.0.0.1:1080"),
        ("NO_PROXY", "only-b.test,example.com"),
    ];
    Resolver::from_env_with(Dialect::Go, proxyroute::env::lookup_in(&vars))
}

/// Every URL's route under `resolver`, as text.
fn answers(resolver: &Resolver, targets: &[Target]) -> Vec<String> {
    targets
        .iter()
        .map(|t| resolver.resolve(t).to_string())
        .collect()
}

fn targets() -> Vec<Target> {
    URLS.iter().map(|u| u.parse().unwrap()).collect()
}

#[test]
fn the_two_configurations_differ() {
    // Guards the concurrency test: a torn answer must be visible.
    let t = targets();
    let (a, b) = (answers(&config_a(), &t), answers(&config_b(), &t));
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(differing >= 6, "{a:?}\n{b:?}");
}

#[test]
fn load_and_resolve_allocate_nothing() {
    let shared = SharedResolver::new(config_a());
    let targets = targets();
    // Warm up: the first load on a thread registers it with arc-swap.
    for t in &targets {
        let _ = shared.load().resolve(t);
    }
    for t in &targets {
        let n = allocations_during(|| {
            let resolver = shared.load();
            std::hint::black_box(resolver.resolve(t));
            std::hint::black_box(shared.snapshot());
            std::hint::black_box(shared.generation());
        });
        assert_eq!(n, 0, "load + resolve({t}) allocated {n} times");
    }
    // After a swap, still none.
    shared.store(config_b());
    for t in &targets {
        let n = allocations_during(|| {
            std::hint::black_box(shared.load().resolve(t));
        });
        assert_eq!(
            n, 0,
            "after a swap: load + resolve({t}) allocated {n} times"
        );
    }
}

#[test]
fn readers_racing_a_swapper_see_whole_configurations_and_never_allocate() {
    let shared = SharedResolver::new(config_a());
    let t = targets();
    let want_a = answers(&config_a(), &t);
    let want_b = answers(&config_b(), &t);
    let stop = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..3)
        .map(|_| {
            let shared = shared.clone();
            let stop = Arc::clone(&stop);
            let (want_a, want_b) = (want_a.clone(), want_b.clone());
            std::thread::spawn(move || {
                let targets = targets();
                let mut got = vec![String::new(); targets.len()];
                let (mut seen_a, mut seen_b, mut allocating, mut last_gen) = (0, 0, 0, 0);
                // Warm-up outside the count.
                let _ = shared.load().resolve(&targets[0]);
                while !stop.load(Ordering::Relaxed) {
                    let resolver = shared.load();
                    let generation = resolver.generation();
                    assert!(generation >= last_gen, "generations went back");
                    last_gen = generation;
                    // Each URL through the same guard: one configuration.
                    for (i, target) in targets.iter().enumerate() {
                        let mut direct = false;
                        allocating += allocations_during(|| {
                            let route = resolver.resolve(target);
                            direct = route.is_direct();
                            std::hint::black_box(route);
                        });
                        got[i].clear();
                        use std::fmt::Write;
                        write!(got[i], "{}", resolver.resolve(target)).unwrap();
                        assert_eq!(direct, got[i] == "DIRECT");
                    }
                    if got == want_a {
                        seen_a += 1;
                    } else if got == want_b {
                        seen_b += 1;
                    } else {
                        panic!("torn answers: {got:?}\nA: {want_a:?}\nB: {want_b:?}");
                    }
                    // A fresh load per query: each answer from A or B.
                    for (i, target) in targets.iter().enumerate() {
                        let mut route_text = String::new();
                        let n = allocations_during(|| {
                            std::hint::black_box(shared.load().resolve(target).first());
                        });
                        allocating += n;
                        use std::fmt::Write;
                        write!(route_text, "{}", shared.load().resolve(target)).unwrap();
                        assert!(
                            route_text == want_a[i] || route_text == want_b[i],
                            "{target}: {route_text}"
                        );
                    }
                }
                (seen_a, seen_b, allocating)
            })
        })
        .collect();

    let swapper = {
        let shared = shared.clone();
        std::thread::spawn(move || {
            let (a, b) = (Arc::new(config_a()), Arc::new(config_b()));
            let deadline = Instant::now() + Duration::from_millis(700);
            let mut swaps = 0u64;
            while Instant::now() < deadline {
                let next = if swaps.is_multiple_of(2) { &b } else { &a };
                shared.store_arc(Arc::clone(next));
                swaps += 1;
                if swaps.is_multiple_of(64) {
                    std::thread::yield_now();
                }
            }
            swaps
        })
    };
    let swaps = swapper.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut totals = (0, 0);
    for reader in readers {
        let (a, b, allocating) = reader.join().unwrap();
        assert_eq!(allocating, 0, "the read path allocated");
        totals.0 += a;
        totals.1 += b;
    }
    assert_eq!(shared.generation(), swaps);
    assert!(swaps > 100, "only {swaps} swaps");
    assert!(
        totals.0 > 0 && totals.1 > 0,
        "readers saw A {} times and B {} times",
        totals.0,
        totals.1
    );
}

#[test]
fn the_counter_counts() {
    let n = allocations_during(|| {
        std::hint::black_box(String::from("x"));
    });
    assert!(n >= 1);
}

#[test]
fn debug_output_holds_no_password() {
    let shared = SharedResolver::new(config_a());
    let text = format!("{shared:?} {:?}", shared.load());
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("generation"), "{text}");
}

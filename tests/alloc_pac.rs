//! A PAC layer's memory and allocations: routes own the answers' hops, so
//! any number of distinct answers resolve, and what the resolver holds is
//! bounded by the script's cache.
#![cfg(feature = "pac")]

use proxyroute::pac::{NoDns, PacCache, PacScript};
use proxyroute::{Resolver, Target};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::live_bytes;

/// Every host gets its own proxy: as a script that balances by host does.
const PER_HOST: &str = r#"function FindProxyForURL(url, host) {
    return "PROXY p" + host.substring(1, host.indexOf(".")) + ".corp.example:3128; DIRECT";
}"#;

/// `live_bytes` counts every thread's allocations: the tests here take
/// turns, so that one's script loading is not counted in another's growth.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn ten_thousand_distinct_answers_resolve_within_the_caches_bound() {
    let _turn = one_at_a_time();
    let script = PacScript::builder(PER_HOST)
        .resolver(NoDns)
        .cache(PacCache::new(256, std::time::Duration::from_secs(300)))
        .build()
        .unwrap();
    let resolver = Resolver::builder().pac(script).build().unwrap();
    let check = |i: usize| {
        let target: Target = format!("https://h{i}.example/").parse().unwrap();
        let route = resolver.resolve(&target);
        assert!(!route.is_refused(), "{i}: {route}");
        assert_eq!(
            route.to_string(),
            format!("http://p{i}.corp.example:3128; DIRECT"),
            "{i}"
        );
        assert_eq!(route.hops().len(), 2, "{i}");
    };
    // Fill the cache past its bound, let the process settle (buffers that
    // grow once), then measure what 5,000 more distinct answers add.
    for i in 0..5_000 {
        check(i);
    }
    let before = live_bytes();
    for i in 5_000..10_000 {
        check(i);
    }
    let grown = live_bytes() - before;
    // 5,000 kept answers would hold over 500 KB; the cache holds 256.
    assert!(grown < 16 << 10, "the resolver grew by {grown} bytes");
    // And the earliest hosts still answer.
    check(0);
    check(7);
}

#[test]
fn a_cached_answer_resolves_without_allocating() {
    let _turn = one_at_a_time();
    use counting_alloc::allocations_during;
    let script = PacScript::builder(PER_HOST)
        .resolver(NoDns)
        .build()
        .unwrap();
    let resolver = Resolver::builder().pac(script).build().unwrap();
    let targets: Vec<Target> = [
        "https://h1.example/",
        "http://h2.example:8080/",
        "https://[2001:db8::1]/",
        "ftp://h3.example/",
    ]
    .iter()
    .map(|u| u.parse().unwrap())
    .collect();
    for t in &targets {
        let _ = resolver.resolve(t);
    }
    for t in &targets {
        let mut shown = String::new();
        let n = allocations_during(|| {
            let route = resolver.resolve(t);
            assert!(!route.is_refused());
            std::hint::black_box(route.proxy());
            std::hint::black_box(&route);
        });
        shown.push_str(&resolver.resolve(t).to_string());
        assert_eq!(n, 0, "resolve({t}) -> {shown} allocated {n} times");
    }
}

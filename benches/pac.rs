//! PAC evaluation cost per URL, side by side in one run:
//!
//! - `load`: `PacScript::new` alone;
//! - `cold`: a fresh script and its first call;
//! - `engine_only`: `FindProxyForURL` on a runtime on the bench's own
//!   thread, no hand-off, no cache: what the engine itself costs;
//! - `warm_uncached`: `find_proxy` on the warm runtime, the cache off (the
//!   engine plus the hand-off to its worker thread);
//! - `cached`: `find_proxy_traced` answered from the result cache;
//! - `resolve_uncached` and `resolve_cached`: `Resolver::resolve` with a
//!   PAC layer, the script's cache off and on;
//! - `async_uncached`: `Resolver::resolve_async`, the cache off, driven by
//!   a minimal executor on the bench's thread.
//!
//! ```text
//! cargo bench --features pac --bench pac
//! ```

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use proxyroute::pac::{NoDns, PacCache, PacScript};
use proxyroute::{Resolver, Target};

const SCRIPT: &str = r#"
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
  if (isInNet(host, "10.0.0.0", "255.0.0.0") || isInNet(host, "192.168.0.0", "255.255.0.0")) return "DIRECT";
  if (shExpMatch(host, "*.partner.example")) return "SOCKS5 gw.partner.example:1080";
  if (shExpMatch(url, "https://*")) return "PROXY p1.corp.example:3128; PROXY p2.corp.example:3128";
  return "PROXY p1.corp.example:3128; DIRECT";
}"#;

fn script(cache: PacCache) -> PacScript {
    PacScript::builder(SCRIPT)
        .resolver(NoDns)
        .cache(cache)
        .build()
        .unwrap()
}

struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

fn pac(c: &mut Criterion) {
    let mut group = c.benchmark_group("pac");
    let targets: Vec<Target> = [
        "https://www.example.com/",
        "http://intranet/",
        "http://10.1.2.3/",
        "https://api.partner.example/",
    ]
    .iter()
    .map(|u| u.parse().unwrap())
    .collect();
    group.bench_function("load", |b| {
        b.iter(|| PacScript::new(std::hint::black_box(SCRIPT)).unwrap());
    });
    group.bench_function("cold", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            script(PacCache::default()).find_proxy(&targets[i]).unwrap()
        });
    });
    let uncached = script(PacCache::off());
    group.bench_function("engine_only", |b| {
        b.iter_custom(|rounds| {
            proxyroute::pac::__engine_only(&uncached, &targets, rounds).unwrap()
        });
    });
    group.bench_function("warm_uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            uncached.find_proxy(&targets[i]).unwrap()
        });
    });
    let cached = script(PacCache::default());
    for t in &targets {
        cached.find_proxy(t).unwrap();
    }
    group.bench_function("cached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            let answer = cached.find_proxy_traced(&targets[i]).unwrap();
            assert!(answer.is_cached());
            answer
        });
    });
    let resolver_uncached = Resolver::builder()
        .pac(script(PacCache::off()))
        .build()
        .unwrap();
    group.bench_function("resolve_uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            resolver_uncached.resolve(&targets[i])
        });
    });
    let resolver_cached = Resolver::builder()
        .pac(script(PacCache::default()))
        .build()
        .unwrap();
    for t in &targets {
        let _ = resolver_cached.resolve(t);
    }
    group.bench_function("resolve_cached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            resolver_cached.resolve(&targets[i])
        });
    });
    group.bench_function("async_uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            block_on(resolver_uncached.resolve_async(&targets[i]))
        });
    });
    group.finish();
    // The ratio the issue sets a target for, from one paired run.
    let rounds = 20_000u64;
    let engine = proxyroute::pac::__engine_only(&uncached, &targets, rounds).unwrap();
    let started = Instant::now();
    for i in 0..rounds as usize {
        std::hint::black_box(uncached.find_proxy(&targets[i % targets.len()]).unwrap());
    }
    let warm = started.elapsed();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / rounds as f64;
    println!(
        "paired: engine {:.2} µs, warm uncached find_proxy {:.2} µs, ratio {:.2}",
        per(engine),
        per(warm),
        warm.as_secs_f64() / engine.as_secs_f64()
    );
}

criterion_group!(benches, pac);
criterion_main!(benches);

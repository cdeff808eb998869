//! PAC evaluation cost per URL, three ways:
//!
//! - `cold`: a fresh script and its first call (loading the sandbox: what
//!   every call cost before runtimes were kept warm);
//! - `warm_uncached`: a call on the warm runtime, the cache off;
//! - `cached`: an answer from the result cache;
//!
//! plus `load` (`PacScript::new` alone).
//!
//! ```text
//! cargo bench --features pac --bench pac
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use proxyroute::pac::{NoDns, PacScript};

const SCRIPT: &str = r#"
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
  if (isInNet(host, "10.0.0.0", "255.0.0.0") || isInNet(host, "192.168.0.0", "255.255.0.0")) return "DIRECT";
  if (shExpMatch(host, "*.partner.example")) return "SOCKS5 gw.partner.example:1080";
  if (shExpMatch(url, "https://*")) return "PROXY p1.corp.example:3128; PROXY p2.corp.example:3128";
  return "PROXY p1.corp.example:3128; DIRECT";
}"#;

fn pac(c: &mut Criterion) {
    let mut group = c.benchmark_group("pac");
    let targets: Vec<proxyroute::Target> = [
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
            let script = PacScript::new(std::hint::black_box(SCRIPT))
                .unwrap()
                .with_resolver(NoDns);
            script.find_proxy(&targets[i]).unwrap()
        });
    });
    let uncached = PacScript::new(SCRIPT)
        .unwrap()
        .with_resolver(NoDns)
        .without_cache();
    group.bench_function("warm_uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            uncached.find_proxy(&targets[i]).unwrap()
        });
    });
    let cached = PacScript::new(SCRIPT).unwrap().with_resolver(NoDns);
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
    group.finish();
}

criterion_group!(benches, pac);
criterion_main!(benches);

//! PAC evaluation cost: loading a realistic script (a fresh sandboxed
//! runtime) and asking it for one URL. Each call runs in its own runtime on
//! a worker thread, so there is no warm, cached path yet: the `call` figure
//! is the cost of every PAC decision today.
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
    group.bench_function("load", |b| {
        b.iter(|| PacScript::new(std::hint::black_box(SCRIPT)).unwrap());
    });
    let script = PacScript::new(SCRIPT).unwrap().with_resolver(NoDns);
    let targets: Vec<proxyroute::Target> = [
        "https://www.example.com/",
        "http://intranet/",
        "http://10.1.2.3/",
        "https://api.partner.example/",
    ]
    .iter()
    .map(|u| u.parse().unwrap())
    .collect();
    group.bench_function("call", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % targets.len();
            script.find_proxy(&targets[i]).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, pac);
criterion_main!(benches);

//! Benchmarks (issue 4): proxyroute beside hyper-util's `Matcher` and
//! proxy-watch's `resolve`, on identical settings, in the same run.
//!
//! ```text
//! cargo bench --bench resolve            # figures (about five minutes on two cores)
//! cargo bench --bench resolve -- --quick # smoke run (well under a minute)
//! ```
//!
//! After the run, a markdown table of the medians measured in that run (per
//! URL, with the ratios) is printed from criterion's `estimates.json` files,
//! and, when the `resolve` group ran, a paired measurement of proxyroute with
//! 4 and with 10,000 entries timed in alternation, whose ratio a drift in the
//! shared machine's speed cannot skew.
//!
//! Groups:
//!
//! - `resolve/{proxyroute,hyper-util,proxy-watch}/N`: N `NO_PROXY` entries
//!   (4, 100, 1000, 10000). Every implementation reads the same
//!   `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` values through its own API and
//!   is fed its own URL type, parsed before timing. One iteration resolves the
//!   whole URL set ([`URLS_PER_ITER`] URLs: hits and misses, IP literals, deep
//!   subdomains), so the time per URL is the median divided by that count
//!   (criterion's `thrpt` line shows URLs per second).
//! - `resolve_from_str`: from text, `Target::parse` + resolve against
//!   `url::Url::parse` + `Target::from_url` + resolve and `url::Url::parse`
//!   alone (10,000-entry list, same URL set).
//! - `parse_no_proxy/<dialect>`: `BypassList::parse` + `compile` of the
//!   10,000-entry list, in bytes per second.
//! - `explain/proxyroute/N`: `Resolver::explain` over the URL set.
//!
//! The process environment is never read or written: every implementation is
//! given the values explicitly.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use proxyroute::{BypassList, Dialect, Resolver, Target};

#[path = "support/workload.rs"]
mod workload;
use workload::{no_proxy, urls, vars, HTTPS_PROXY, HTTP_PROXY, URLS_PER_ITER};

const SIZES: [usize; 4] = [4, 100, 1000, 10000];

fn proxyroute_resolver(no_proxy: &str) -> Resolver {
    let vars = vars(no_proxy);
    let resolver = Resolver::from_env_with(Dialect::Hyper, proxyroute::env::lookup_in(&vars));
    assert!(
        resolver.violations().is_empty(),
        "{:?}",
        resolver.violations()
    );
    resolver
}

fn hyper_matcher(no_proxy: &str) -> hyper_util::client::proxy::matcher::Matcher {
    hyper_util::client::proxy::matcher::Matcher::builder()
        .http(HTTP_PROXY)
        .https(HTTPS_PROXY)
        .no(no_proxy)
        .build()
}

fn proxy_watch_config(no_proxy: &str) -> proxy_watch::ProxyConfig {
    // `from_vars` is proxy-watch's explicit map: the process environment stays untouched.
    let env = proxy_watch::ProxyEnv::from_vars(vars(no_proxy)).expect("not a CGI environment");
    assert!(env.rejected().is_empty() && env.bypass().rejected.is_empty());
    env.to_config()
}

/// All three implementations, built from one `NO_PROXY` value, with their own
/// pre-parsed URLs.
struct Setup {
    proxyroute: Resolver,
    targets: Vec<Target>,
    hyper: hyper_util::client::proxy::matcher::Matcher,
    uris: Vec<http::Uri>,
    proxy_watch: proxy_watch::ProxyConfig,
    urls: Vec<proxy_watch::Url>,
    texts: Vec<String>,
}

impl Setup {
    fn new(n: usize) -> Self {
        let list = no_proxy(n);
        let set = urls(n);
        let texts: Vec<String> = set.iter().map(|(u, _)| u.clone()).collect();
        let setup = Setup {
            proxyroute: proxyroute_resolver(&list),
            targets: texts.iter().map(|u| Target::parse(u).unwrap()).collect(),
            hyper: hyper_matcher(&list),
            uris: texts.iter().map(|u| u.parse().unwrap()).collect(),
            proxy_watch: proxy_watch_config(&list),
            urls: texts
                .iter()
                .map(|u| proxy_watch::Url::parse(u).unwrap())
                .collect(),
            texts,
        };
        setup.check_agreement(&set);
        setup
    }

    /// The three answer alike (direct or the same proxy) on every URL, as the
    /// URL set says they should: no implementation is timed on a shortcut.
    fn check_agreement(&self, set: &[(String, bool)]) {
        for (i, (url, bypass)) in set.iter().enumerate() {
            let ours = self.proxyroute.resolve(&self.targets[i]);
            let theirs = self.hyper.intercept(&self.uris[i]);
            let pw = proxy_watch::resolve(&self.proxy_watch, &self.urls[i]).unwrap();
            assert_eq!(ours.is_direct(), *bypass, "proxyroute on {url}");
            assert_eq!(theirs.is_none(), *bypass, "hyper-util on {url}");
            assert_eq!(pw[0].is_direct(), *bypass, "proxy-watch on {url}");
            if !bypass {
                let proxy = ours.proxy().expect("a proxy");
                let port = theirs.as_ref().unwrap().uri().port_u16();
                assert_eq!(Some(proxy.port()), port, "hyper-util's proxy for {url}");
                let endpoint = pw[0].endpoint().expect("a proxy");
                assert_eq!(
                    endpoint.authority(),
                    format!("{}:{}", proxy.host(), proxy.port()),
                    "proxy-watch's proxy for {url}"
                );
            }
        }
    }
}

fn resolve(c: &mut Criterion) {
    let mut group = c.benchmark_group("resolve");
    // Long enough that a burst of load on this shared 2-core machine moves
    // the median of one point less than it moves a 1.5 s, 20-sample run.
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .sample_size(60)
        .throughput(Throughput::Elements(URLS_PER_ITER as u64));
    for n in SIZES {
        let s = Setup::new(n);
        group.bench_with_input(BenchmarkId::new("proxyroute", n), &s, |b, s| {
            b.iter(|| {
                for t in &s.targets {
                    black_box(s.proxyroute.resolve(black_box(t)));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("hyper-util", n), &s, |b, s| {
            b.iter(|| {
                for u in &s.uris {
                    black_box(s.hyper.intercept(black_box(u)));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("proxy-watch", n), &s, |b, s| {
            b.iter(|| {
                for u in &s.urls {
                    let _ = black_box(proxy_watch::resolve(&s.proxy_watch, black_box(u)));
                }
            })
        });
    }
    group.finish();
}

fn resolve_from_str(c: &mut Criterion) {
    let s = Setup::new(10000);
    let mut group = c.benchmark_group("resolve_from_str");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(20)
        .throughput(Throughput::Elements(URLS_PER_ITER as u64));
    group.bench_function("target_parse+resolve", |b| {
        b.iter(|| {
            for text in &s.texts {
                let target = Target::parse(black_box(text)).unwrap();
                black_box(s.proxyroute.resolve(&target).is_direct());
            }
        })
    });
    group.bench_function("url_parse+from_url+resolve", |b| {
        b.iter(|| {
            for text in &s.texts {
                let url = url::Url::parse(black_box(text)).unwrap();
                let target = Target::from_url(&url).unwrap();
                black_box(s.proxyroute.resolve(&target).is_direct());
            }
        })
    });
    group.bench_function("url_parse", |b| {
        b.iter(|| {
            for text in &s.texts {
                black_box(url::Url::parse(black_box(text)).unwrap());
            }
        })
    });
    group.finish();
}

fn parse_no_proxy(c: &mut Criterion) {
    let text = no_proxy(10000);
    let mut group = c.benchmark_group("parse_no_proxy");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(10)
        .throughput(Throughput::Bytes(text.len() as u64));
    // curl first: the headline figure. The other dialects read the same text
    // under their own rules (some skip entries they cannot use).
    for &dialect in Dialect::ALL {
        group.bench_with_input(
            BenchmarkId::new(dialect.as_str(), 10000),
            &text,
            |b, text| b.iter(|| black_box(BypassList::parse(black_box(text), dialect).compile())),
        );
    }
    group.finish();
}

fn explain(c: &mut Criterion) {
    let mut group = c.benchmark_group("explain");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .throughput(Throughput::Elements(URLS_PER_ITER as u64));
    for n in [4, 10000] {
        let s = Setup::new(n);
        group.bench_with_input(BenchmarkId::new("proxyroute", n), &s, |b, s| {
            b.iter(|| {
                for t in &s.targets {
                    black_box(s.proxyroute.explain(black_box(t)));
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Fewer bootstrap resamples than the default 100,000: the analysis of each
    // benchmark then takes a fraction of a second on two cores.
    config = Criterion::default().nresamples(20_000).without_plots();
    targets = resolve, resolve_from_str, parse_no_proxy, explain
}

/// `criterion_main!`, then the summary table.
fn main() {
    let started = SystemTime::now();
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary::print(started);
}

/// The medians this run measured, read back from criterion's output.
mod summary {
    use super::*;

    /// Where criterion writes: `$CRITERION_HOME`, else `<target dir>/criterion`
    /// (this executable lives in `<target dir>/<profile>/deps/`).
    fn criterion_home() -> Option<PathBuf> {
        if let Some(home) = std::env::var_os("CRITERION_HOME") {
            return Some(home.into());
        }
        if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
            return Some(PathBuf::from(target).join("criterion"));
        }
        let exe = std::env::current_exe().ok()?;
        Some(exe.parent()?.parent()?.parent()?.join("criterion"))
    }

    /// The median (ns per iteration) of one benchmark, if this run wrote it.
    fn median(home: &std::path::Path, id: &str, started: SystemTime) -> Option<f64> {
        let path = home.join(id).join("new").join("estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < started {
            return None; // left by an earlier run (or filtered out of this one)
        }
        let json = std::fs::read_to_string(path).ok()?;
        let rest = &json[json.find("\"median\"")?..];
        let rest = &rest[rest.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
        let end = rest.find([',', '}'])?;
        rest[..end].trim().parse().ok()
    }

    fn time(ns: f64) -> String {
        match ns {
            _ if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
            _ if ns >= 1e4 => format!("{:.1} µs", ns / 1e3),
            _ if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
            _ => format!("{ns:.0} ns"),
        }
    }

    /// Rounds of the paired measurement.
    const PAIRED_ROUNDS: usize = 201;

    /// proxyroute with 4 and with 10,000 entries, timed in alternation (the
    /// order switching every round), so that a burst of load on a shared
    /// machine falls on both alike: the medians per URL, and the median of
    /// the per-round ratios.
    fn paired() -> (f64, f64, f64) {
        let (small, large) = (Setup::new(4), Setup::new(10000));
        let time = |s: &Setup| {
            const ITERS: u32 = 500;
            let started = std::time::Instant::now();
            for _ in 0..ITERS {
                for t in &s.targets {
                    black_box(s.proxyroute.resolve(black_box(t)));
                }
            }
            started.elapsed().as_nanos() as f64 / f64::from(ITERS) / s.targets.len() as f64
        };
        let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..PAIRED_ROUNDS {
            let (x, y) = if round % 2 == 0 {
                let x = time(&small);
                (x, time(&large))
            } else {
                let y = time(&large);
                (time(&small), y)
            };
            a.push(x);
            b.push(y);
            r.push(y / x);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        (median(&mut a), median(&mut b), median(&mut r))
    }

    pub(super) fn print(started: SystemTime) {
        let Some(home) = criterion_home() else { return };
        let per_url = |id: &str| median(&home, id, started).map(|m| m / URLS_PER_ITER as f64);
        let cell = |v: Option<f64>| v.map_or("-".to_owned(), time);
        let ratio = |a: Option<f64>, b: Option<f64>, digits: usize| match (a, b) {
            (Some(a), Some(b)) => format!("{:.*}", digits, a / b),
            _ => "-".to_owned(),
        };
        let mut out = String::new();
        let own4 = per_url("resolve/proxyroute/4");
        let mut any = false;
        for n in SIZES {
            let [ours, hyper, watch] = ["proxyroute", "hyper-util", "proxy-watch"]
                .map(|f| per_url(&format!("resolve/{f}/{n}")));
            if ours.is_none() && hyper.is_none() && watch.is_none() {
                continue;
            }
            if !any {
                out.push_str(&format!(
                    "\nresolve: median time per URL ({URLS_PER_ITER} URLs per iteration), this run\n\n\
                     | NO_PROXY entries | proxyroute | hyper-util | proxy-watch \
                     | hyper-util / proxyroute | proxy-watch / proxyroute \
                     | proxyroute / its 4-entry time |\n\
                     |---:|---:|---:|---:|---:|---:|---:|\n"
                ));
                any = true;
            }
            out.push_str(&format!(
                "| {n} | {} | {} | {} | {}x | {}x | {} |\n",
                cell(ours),
                cell(hyper),
                cell(watch),
                ratio(hyper, ours, 1),
                ratio(watch, ours, 0),
                ratio(ours, own4, 2),
            ));
        }
        let mut lines = Vec::new();
        if own4.is_some() {
            let (small, large, ratio) = paired();
            lines.push(format!(
                "resolve/proxyroute, paired: 4 entries {}, 10000 entries {} per URL, 10000 / 4 = {ratio:.2} \
                 (medians of {PAIRED_ROUNDS} rounds alternating the two)",
                time(small),
                time(large)
            ));
        }
        for f in [
            "target_parse+resolve",
            "url_parse+from_url+resolve",
            "url_parse",
        ] {
            if let Some(t) = per_url(&format!("resolve_from_str/{f}")) {
                lines.push(format!("resolve_from_str/{f}: {} per URL", time(t)));
            }
        }
        for &d in Dialect::ALL {
            let id = format!("parse_no_proxy/{}/10000", d.as_str());
            if let Some(t) = median(&home, &id, started) {
                lines.push(format!("{id}: {} (parse + compile)", time(t)));
            }
        }
        for n in [4, 10000] {
            if let Some(t) = per_url(&format!("explain/proxyroute/{n}")) {
                lines.push(format!("explain/proxyroute/{n}: {} per URL", time(t)));
            }
        }
        if !lines.is_empty() {
            out.push('\n');
            out.push_str(&lines.join("\n"));
            out.push('\n');
        }
        if !out.is_empty() {
            println!("{out}");
        }
    }
}

//! A PAC script as a layer of the `Resolver`: a configured script
//! (`ResolverBuilder::pac`) and the script a system setting names
//! (`SystemMode::AutoConfig`), through `resolve` (borrowed routes, every hop)
//! and `explain` (the script's raw answer and its violations). A script that
//! cannot be fetched, loaded or run refuses the route; it never turns into a
//! silent `DIRECT`.
#![cfg(feature = "pac")]

use std::path::PathBuf;

use proxyroute::pac::{NoDns, PacScript};
use proxyroute::{system::gnome, ErrorKind, Hop, Layer, Resolver, Target};

fn t(url: &str) -> Target {
    url.parse().unwrap()
}

fn script(source: &str) -> PacScript {
    PacScript::new(source).unwrap().with_resolver(NoDns)
}

const CORP: &str = r#"function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
    if (shExpMatch(host, "*.socks.example")) return "SOCKS5 s.corp.example:1080";
    if (host == "bad.example") return "PROXY a.corp.example:3128; BOGUS x; DIRECT";
    return "PROXY a.corp.example:3128; PROXY b.corp.example:3128; DIRECT";
}"#;

/// A scratch file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "proxyroute-pac-resolver-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn url(&self) -> String {
        format!("file://{}", self.0.display())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `(name, url, route)`: what the configured script routes, hop by hop.
const ROWS: &[(&str, &str, &str)] = &[
    (
        "a plain host name goes direct",
        "http://intranet/",
        "DIRECT",
    ),
    (
        "a corp host goes direct",
        "https://wiki.corp.example/",
        "DIRECT",
    ),
    (
        "socks hosts take one SOCKS5 hop",
        "https://x.socks.example/",
        "socks5://s.corp.example:1080",
    ),
    (
        "other hosts take every hop in order",
        "https://example.com/",
        "http://a.corp.example:3128; http://b.corp.example:3128; DIRECT",
    ),
    (
        "a bad entry is skipped, the others kept",
        "http://bad.example/",
        "http://a.corp.example:3128; DIRECT",
    ),
];

#[test]
fn configured_script_routes_every_hop() {
    let resolver = Resolver::builder().pac(script(CORP)).build().unwrap();
    for (name, url, want) in ROWS {
        let target = t(url);
        let route = resolver.resolve(&target);
        assert_eq!(route.to_string(), *want, "{name}");
        let why = resolver.explain(&target);
        assert_eq!(why.route().to_string(), *want, "{name}: explain");
        assert_eq!(why.layer(), Layer::Custom, "{name}");
        assert_eq!(why.source(), "custom:pac", "{name}");
        assert!(
            why.reason().contains("FindProxyForURL("),
            "{name}: {}",
            why.reason()
        );
        assert_eq!(route.hops().len(), why.hops().len(), "{name}");
    }
}

#[test]
fn bad_entries_of_an_answer_are_violations_of_the_decision() {
    let resolver = Resolver::builder().pac(script(CORP)).build().unwrap();
    let why = resolver.explain(&t("http://bad.example/"));
    // The explanation names the `return` that answered.
    assert!(
        why.reason()
            .contains(r#"at line 4: if (host == "bad.example") return "PROXY a.corp.example:3128; BOGUS x; DIRECT";"#),
        "{}",
        why.reason()
    );
    let texts: Vec<&str> = why.violations().iter().map(|v| v.text()).collect();
    assert_eq!(texts, ["BOGUS x"]);
    assert!(why
        .reason()
        .contains(r#"returned "PROXY a.corp.example:3128; BOGUS x; DIRECT""#));
    assert!(resolver
        .explain(&t("https://example.com/"))
        .violations()
        .is_empty());
}

#[test]
fn a_cached_answer_is_shared_with_its_routes_not_copied() {
    let resolver = Resolver::builder().pac(script(CORP)).build().unwrap();
    let first = resolver.resolve(&t("https://one.example/"));
    let again = resolver.resolve(&t("https://one.example/path"));
    let (Some(Hop::Proxy(a)), Some(Hop::Proxy(b))) = (first.first(), again.first()) else {
        panic!("{first} / {again}");
    };
    assert!(std::ptr::eq(a, b), "the cached hops are shared");
    // A route outlives a clone of the resolver's answer, and compares by hops.
    let owned = first.clone().into_owned();
    assert_eq!(owned, again);
    drop(resolver);
    assert_eq!(
        owned.to_string(),
        "http://a.corp.example:3128; http://b.corp.example:3128; DIRECT"
    );
}

#[test]
fn explicit_proxies_serve_their_schemes_before_the_script() {
    let resolver = Resolver::builder()
        .http_proxy("http://explicit:8080")
        .pac(script(CORP))
        .build()
        .unwrap();
    assert_eq!(
        resolver.resolve(&t("http://example.com/")).to_string(),
        "http://explicit:8080"
    );
    assert_eq!(
        resolver.resolve(&t("https://example.com/")).to_string(),
        "http://a.corp.example:3128; http://b.corp.example:3128; DIRECT"
    );
}

#[test]
fn the_script_decides_above_the_environment() {
    let resolver = Resolver::builder()
        .env_vars([("https_proxy", "http://env:1")])
        .pac(script(
            r#"function FindProxyForURL(u, h) { return "DIRECT"; }"#,
        ))
        .build()
        .unwrap();
    assert!(resolver.resolve(&t("https://example.com/")).is_direct());
    let why = resolver.explain(&t("https://example.com/"));
    assert_eq!(why.layer(), Layer::Custom);
}

#[test]
fn a_failing_script_refuses_the_route_and_says_why() {
    let resolver = Resolver::builder()
        .pac(script(
            r#"function FindProxyForURL(u, h) {
                if (h == "loop.example") { while (true) {} }
                if (h == "num.example") return 42;
                throw new Error("no route for " + h);
            }"#,
        ))
        .build()
        .unwrap();
    for (url, says) in [
        ("http://x.example/", "no route for x.example"),
        ("http://num.example/", "not a string"),
        ("http://loop.example/", "did not finish within 100 ms"),
    ] {
        let route = resolver.resolve(&t(url));
        assert!(route.is_refused(), "{url}: {route}");
        let error = route.error().unwrap();
        assert!(matches!(error.kind(), ErrorKind::Pac(_)), "{url}");
        assert!(error.to_string().contains(says), "{url}: {error}");
        assert!(error.to_string().contains("custom:pac"), "{url}: {error}");
        let why = resolver.explain(&t(url));
        assert!(why.route().is_refused(), "{url}");
        assert!(why.hops().is_empty(), "{url}");
        assert!(
            why.hints().iter().any(|h| h.contains("PAC script")),
            "{url}"
        );
    }
    // Failures are not cached: each call asks again, and says the same.
    assert_eq!(
        resolver.resolve(&t("http://x.example/")),
        resolver.resolve(&t("http://x.example/"))
    );
}

#[test]
fn any_number_of_distinct_answers_resolve() {
    // Every host gets its own proxy port: more distinct answers than the
    // 256 an earlier version kept for borrowed routes (see tests/alloc_pac.rs
    // for 10,000 and the memory they hold).
    let resolver = Resolver::builder()
        .pac(script(
            r#"function FindProxyForURL(u, h) { return "PROXY p.example:" + (1000 + parseInt(h.substring(1))); }"#,
        ))
        .build()
        .unwrap();
    for i in 0..300 {
        let target = t(&format!("http://h{i}.example/"));
        let route = resolver.resolve(&target);
        assert_eq!(route.to_string(), format!("http://p.example:{}", 1000 + i));
        assert_eq!(resolver.explain(&target).route(), route);
    }
}

#[test]
fn a_system_autoconfig_url_is_fetched_and_evaluated() {
    let file = TempFile::new("corp.pac", CORP);
    let settings = gnome::parse(&format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{}'\n",
        file.url()
    ));
    let resolver = Resolver::builder().system(settings).build().unwrap();
    resolver.load().unwrap();
    assert_eq!(
        resolver.resolve(&t("https://example.com/")).to_string(),
        "http://a.corp.example:3128; http://b.corp.example:3128; DIRECT"
    );
    assert!(resolver.resolve(&t("http://intranet/")).is_direct());
    let why = resolver.explain(&t("https://example.com/"));
    assert_eq!(why.layer(), Layer::System);
    assert!(why.source().contains("autoconfig-url"), "{}", why.source());
    assert!(why.reason().contains(&file.url()), "{}", why.reason());
}

#[test]
fn a_system_autoconfig_url_that_cannot_be_read_refuses_every_route() {
    let settings = gnome::parse(
        "org.gnome.system.proxy mode 'auto'\n\
         org.gnome.system.proxy autoconfig-url 'file:///nonexistent/proxyroute/proxy.pac'\n",
    );
    let resolver = Resolver::builder().system(settings).build().unwrap();
    let load = resolver.load().unwrap_err();
    assert!(load.to_string().contains("cannot read it"), "{load}");
    for url in ["https://example.com/", "http://intranet/"] {
        let route = resolver.resolve(&t(url));
        assert!(route.is_refused(), "{url}: {route}");
        let message = route.error().unwrap().to_string();
        assert!(
            message.contains("file:///nonexistent/proxyroute/proxy.pac")
                && message.contains("cannot read it"),
            "{message}"
        );
    }
    // A script that does not load is the same: refused, with its error.
    let file = TempFile::new("broken.pac", "function FindProxyForURL(u, h) { return ");
    let settings = gnome::parse(&format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{}'\n",
        file.url()
    ));
    let resolver = Resolver::builder().system(settings).build().unwrap();
    assert!(resolver.load().is_err());
    let route = resolver.resolve(&t("https://example.com/"));
    assert!(route.is_refused(), "{route}");
    assert!(route
        .error()
        .unwrap()
        .to_string()
        .contains("failed to load"));
}

#[test]
fn a_script_given_for_the_system_setting_is_not_fetched() {
    let settings = gnome::parse(
        "org.gnome.system.proxy mode 'auto'\n\
         org.gnome.system.proxy autoconfig-url 'http://wpad.invalid/proxy.pac'\n",
    );
    let resolver = Resolver::builder()
        .system(settings)
        .system_pac(script(
            r#"function FindProxyForURL(u, h) { return "SOCKS s:1"; }"#,
        ))
        .build()
        .unwrap();
    assert_eq!(
        resolver.resolve(&t("https://example.com/")).to_string(),
        "socks4://s:1"
    );
}

#[test]
fn the_environment_decides_above_a_system_script_unless_the_system_goes_first() {
    let file = TempFile::new(
        "direct.pac",
        r#"function FindProxyForURL(u, h) { return "DIRECT"; }"#,
    );
    let text = format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{}'\n",
        file.url()
    );
    let env = [("https_proxy", "http://env:1")];
    let below = Resolver::builder()
        .env_vars(env)
        .system(gnome::parse(&text))
        .build()
        .unwrap();
    below.load().unwrap();
    assert_eq!(
        below.resolve(&t("https://example.com/")).to_string(),
        "http://env:1"
    );
    // The environment serves no http proxy: the script decides.
    assert!(below.resolve(&t("http://example.com/")).is_direct());
    let above = Resolver::builder()
        .env_vars(env)
        .system(gnome::parse(&text))
        .system_first(true)
        .build()
        .unwrap();
    above.load().unwrap();
    assert!(above.resolve(&t("https://example.com/")).is_direct());
}

#[test]
fn threads_share_one_resolver_and_agree() {
    let resolver = std::sync::Arc::new(Resolver::builder().pac(script(CORP)).build().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let resolver = resolver.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let url = format!("https://h{n}-{i}.example/");
                    let route = resolver.resolve(&t(&url));
                    assert_eq!(
                        route.to_string(),
                        "http://a.corp.example:3128; http://b.corp.example:3128; DIRECT",
                        "{url}"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn direct_on_failure_only_where_the_caller_asks_for_it() {
    let throwing = r#"function FindProxyForURL(u, h) { if (h == "ok.example") return "PROXY p:1"; throw "down"; }"#;
    let refusing = Resolver::builder().pac(script(throwing)).build().unwrap();
    assert!(refusing.resolve(&t("http://x.example/")).is_refused());
    let direct = Resolver::builder()
        .pac(script(throwing))
        .pac_failure_direct(true)
        .build()
        .unwrap();
    assert!(direct.resolve(&t("http://x.example/")).is_direct());
    assert_eq!(
        direct.resolve(&t("http://ok.example/")).to_string(),
        "http://p:1"
    );
    let why = direct.explain(&t("http://x.example/"));
    assert!(why.route().is_direct());
    assert!(why.error().is_none());
    assert!(
        why.reason().contains("pac_failure_direct(true)"),
        "{}",
        why.reason()
    );
    assert!(why.reason().contains("down"), "{}", why.reason());
    assert!(
        why.violations()
            .iter()
            .any(|v| v.to_string().contains("down")),
        "{:?}",
        why.violations()
    );
    // A system URL that cannot be read, with the fallback: DIRECT, said so.
    let settings = gnome::parse(
        "org.gnome.system.proxy mode 'auto'\n\
         org.gnome.system.proxy autoconfig-url 'file:///nonexistent/proxyroute/proxy.pac'\n",
    );
    let resolver = Resolver::builder()
        .system(settings)
        .pac_failure_direct(true)
        .build()
        .unwrap();
    // Not loaded is never a failure to go direct on, and explain agrees.
    let route = resolver.resolve(&t("https://example.com/"));
    assert!(route.is_refused(), "{route}");
    assert!(route.to_string().contains("not loaded yet"), "{route}");
    assert_eq!(resolver.explain(&t("https://example.com/")).route(), route);
    assert!(resolver.load().is_err());
    assert!(resolver.resolve(&t("https://example.com/")).is_direct());
    let why = resolver.explain(&t("https://example.com/"));
    assert!(why.reason().contains("cannot read it"), "{}", why.reason());
}

mod async_entry {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::{Duration, Instant};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// A task that ticks on every poll until `done`, waking itself: it
    /// records the longest time between two of its polls.
    struct Ticker {
        done: Arc<AtomicBool>,
        last: Instant,
        longest: Duration,
        ticks: usize,
    }

    impl Future for Ticker {
        type Output = (usize, Duration);
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(usize, Duration)> {
            let now = Instant::now();
            let gap = now - self.last;
            self.longest = self.longest.max(gap);
            self.last = now;
            self.ticks += 1;
            if self.done.load(Ordering::SeqCst) {
                return Poll::Ready((self.ticks, self.longest));
            }
            std::thread::sleep(Duration::from_millis(1));
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// A current-thread executor for two tasks, polled in turn.
    fn run_both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let (mut a, mut b) = (Box::pin(a), Box::pin(b));
        let (mut ra, mut rb) = (None, None);
        while ra.is_none() || rb.is_none() {
            if ra.is_none() {
                if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                    ra = Some(v);
                }
            }
            if rb.is_none() {
                if let Poll::Ready(v) = b.as_mut().poll(&mut cx) {
                    rb = Some(v);
                }
            }
            if ra.is_none() && rb.is_none() {
                std::thread::park_timeout(Duration::from_millis(5));
            }
        }
        (ra.unwrap(), rb.unwrap())
    }

    #[test]
    fn other_tasks_keep_running_while_a_script_runs() {
        // The script works for 300 ms of wall time per uncached host.
        let slow = PacScript::builder(
            r#"function FindProxyForURL(u, h) {
                var t = Date.now(); while (Date.now() - t < 300) {}
                return "PROXY slow.example:3128";
            }"#,
        )
        .resolver(NoDns)
        .limits(proxyroute::pac::PacLimits::default().with_deadline(Duration::from_secs(5)))
        .build()
        .unwrap();
        let resolver = Resolver::builder().pac(slow).build().unwrap();
        let target = t("https://example.com/");
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        let started = Instant::now();
        let resolving = async {
            let route = resolver.resolve_async(&target).await;
            finished.store(true, Ordering::SeqCst);
            route
        };
        let ticker = Ticker {
            done,
            last: Instant::now(),
            longest: Duration::ZERO,
            ticks: 0,
        };
        let (route, (ticks, longest)) = run_both(resolving, ticker);
        // Both futures can be spawned on multi-threaded executors.
        fn sendable<T: Send>(_: &T) {}
        sendable(&resolver.resolve_async(&target));
        sendable(&resolver.load_async());
        let took = started.elapsed();
        assert_eq!(route.to_string(), "http://slow.example:3128");
        assert!(took >= Duration::from_millis(290), "{took:?}");
        // The ticker ran all along: no poll of the resolving task held the
        // thread for the script's time.
        assert!(
            longest < Duration::from_millis(150),
            "longest gap {longest:?}"
        );
        assert!(ticks > 20, "{ticks} ticks in {took:?}");
        // The answer is cached now: the future is ready on its first poll.
        let mut again = Box::pin(resolver.resolve_async(&target));
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        match again.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(route) => assert_eq!(route.to_string(), "http://slow.example:3128"),
            Poll::Pending => panic!("a cached answer is ready at once"),
        }
        // Layers without a script answer at once too, and agree with resolve.
        let env = Resolver::builder()
            .env_vars([("https_proxy", "http://env:1")])
            .build()
            .unwrap();
        let mut ready = Box::pin(env.resolve_async(&target));
        match ready.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(route) => assert_eq!(route, env.resolve(&target)),
            Poll::Pending => panic!("an environment route is ready at once"),
        }
    }
}

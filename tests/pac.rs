//! Proxy auto-config (issue 8): the result grammar (always built), then,
//! with `--features pac`, the sandboxed evaluation, every helper's
//! documented behaviour (Netscape's and Microsoft's PAC texts; docs/pac.md) with an injected
//! resolver and clock, hostile scripts, and the CLI's `--pac`.

use proxyroute::pac::PacResult;

// ===== the result grammar =====

#[test]
fn result_rows() {
    #[rustfmt::skip]
    let rows: &[(&str, &str, &[&str], usize)] = &[
        ("DIRECT", "DIRECT", &["DIRECT"], 0),
        ("blanks and empty entries", " PROXY a:1 ;; DIRECT ;", &["http://a:1", "DIRECT"], 0),
        ("keywords in any case; SOCKS is SOCKS4", "proxy a:1;socks b", &["http://a:1", "socks4://b:1080"], 0),
        ("HTTPS is TLS to the proxy, 443 by default", "HTTPS [2001:db8::1]:8443; HTTPS s", &["https://[2001:db8::1]:8443", "https://s:443"], 0),
        ("DIRECT takes no host", "DIRECT x", &["DIRECT"], 1),
        ("PROXY without a port: 80", "PROXY a", &["http://a:80"], 0),
        ("HTTP is PROXY (as Firefox reads it)", "HTTP a:1", &["http://a:1"], 0),
        ("SOCKS5 and SOCKS4", "SOCKS5 s:1080; SOCKS4 t", &["socks5://s:1080", "socks4://t:1080"], 0),
        ("empty string: DIRECT", "", &["DIRECT"], 0),
        ("only separators: DIRECT", " ; ;; ", &["DIRECT"], 0),
        ("tabs are blanks", "PROXY\ta:1\t;\tDIRECT", &["http://a:1", "DIRECT"], 0),
        ("runs of blanks", "PROXY    a:1", &["http://a:1"], 0),
        ("an unknown keyword is skipped", "QUIC q:443; PROXY a:1", &["http://a:1"], 1),
        ("a keyword without a host", "PROXY; DIRECT", &["DIRECT"], 1),
        ("user info is invalid", "PROXY u:p@a:1; DIRECT", &["DIRECT"], 1),
        ("an empty port is invalid", "PROXY a:; DIRECT", &["DIRECT"], 1),
        ("a port out of range is invalid", "PROXY a:70000; PROXY b:2", &["http://b:2"], 1),
        ("two hosts in one entry", "PROXY a:1 b:2", &["DIRECT"], 1),
        ("nothing valid: DIRECT", "garbage; PROXY", &["DIRECT"], 2),
        ("order is fallback order", "SOCKS5 s:1; PROXY p:2; DIRECT; PROXY q:3", &["socks5://s:1", "http://p:2", "DIRECT", "http://q:3"], 0),
        ("an IPv4 proxy", "PROXY 10.0.0.1:3128", &["http://10.0.0.1:3128"], 0),
        ("a path is invalid", "PROXY a:1/x", &["DIRECT"], 1),
    ];
    let mut failures = Vec::new();
    for (name, text, hops, bad) in rows {
        let r = PacResult::parse(text);
        let got: Vec<String> = r.hops().iter().map(ToString::to_string).collect();
        if got != *hops || r.violations().len() != *bad {
            failures.push(format!(
                "{name}: {text:?} -> {got:?} with {} violations",
                r.violations().len()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn result_text_form_reads_back() {
    for text in [
        "PROXY a:1; SOCKS5 b:2; SOCKS4 c:3; HTTPS d:4; DIRECT",
        "DIRECT",
        "PROXY [::1]:8080",
    ] {
        let r = PacResult::parse(text);
        assert_eq!(r.to_string(), text);
        assert_eq!(PacResult::parse(&r.to_string()), r);
    }
    let parsed = PacResult::parse("PROXY a:; DIRECT");
    assert_eq!(
        parsed.violations()[0].to_string(),
        "FindProxyForURL result entry 0 \"PROXY a:\": invalid port"
    );
}

#[cfg(feature = "pac")]
mod eval {
    use std::net::IpAddr;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use proxyroute::pac::{PacCache, PacLimits, PacScript};
    use proxyroute::ErrorKind;

    /// Saturday 2026-11-28 14:30:15 UTC.
    fn clock() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_795_876_215)
    }

    fn dns(host: &str) -> Vec<IpAddr> {
        let table: &[(&str, &[&str])] = &[
            ("intranet.corp.example", &["10.1.2.3"]),
            ("www.example.com", &["2001:db8::5", "93.184.216.34"]),
            ("v6only.example", &["2001:db8::7"]),
        ];
        if let Ok(ip) = host.parse() {
            return vec![ip];
        }
        table
            .iter()
            .find(|(h, _)| *h == host)
            .map(|(_, ips)| ips.iter().map(|ip| ip.parse().unwrap()).collect())
            .unwrap_or_default()
    }

    struct Local;
    impl proxyroute::pac::HostResolver for Local {
        fn resolve(&self, host: &str) -> Vec<IpAddr> {
            dns(host)
        }
        fn local_addresses(&self) -> Vec<IpAddr> {
            vec!["fe80::1".parse().unwrap(), "192.168.7.20".parse().unwrap()]
        }
    }

    /// What `expr` evaluates to, as a string, inside FindProxyForURL.
    fn js(expr: &str) -> String {
        let source = format!("function FindProxyForURL(url, host) {{ return String({expr}); }}");
        PacScript::builder(&source)
            .resolver(Local)
            .clock(clock())
            .build()
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .call("http://x/", "x")
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    #[test]
    fn helper_rows() {
        #[rustfmt::skip]
        let rows: &[(&str, &str)] = &[
            ("isPlainHostName('www')", "true"),
            ("isPlainHostName('www.example.com')", "false"),
            ("isPlainHostName('::1')", "false"),
            ("isPlainHostName('[::1]')", "true"),
            ("isPlainHostName('foo:112')", "true"),
            ("(function(){ try { isPlainHostName(5); return 'no'; } catch (e) { return e instanceof TypeError; } })()", "true"),
            ("dnsDomainIs('www.adobe.com', '.ad')", "false"),
            ("dnsDomainIs('www.adobe.com', '.adobe.com')", "true"),
            ("dnsDomainIs('google.com', 'google.com')", "true"),
            ("dnsDomainIs('com', '.com')", "false"),
            ("localHostOrDomainIs('www.google.com', 'www.google.com')", "true"),
            ("localHostOrDomainIs('www', 'www.google.com')", "true"),
            ("localHostOrDomainIs('www.google.com', 'www.google.org')", "false"),
            ("localHostOrDomainIs('home.google.com', 'www.google.com')", "false"),
            ("dnsResolve('intranet.corp.example')", "10.1.2.3"),
            ("dnsResolve('www.example.com')", "93.184.216.34"),
            ("dnsResolve('v6only.example')", "null"),
            ("dnsResolve('nowhere.example')", "null"),
            ("isResolvable('intranet.corp.example')", "true"),
            ("isResolvable('nowhere.example')", "false"),
            ("convert_addr('104.16.41.2')", "1745889538"),
            ("convert_addr('255.255.255.255')", "4294967295"),
            ("isInNet('10.1.2.3', '10.0.0.0', '255.0.0.0')", "true"),
            ("isInNet('intranet.corp.example', '10.0.0.0', '255.0.0.0')", "true"),
            ("isInNet('11.1.2.3', '10.0.0.0', '255.0.0.0')", "false"),
            ("isInNet('nowhere.example', '10.0.0.0', '255.0.0.0')", "false"),
            ("isInNet('10.1.2.3', '10.0.0.0', '255.0.0')", "false"),
            ("isInNet('198.95.249.79', '198.95.0.0', '255.255.0.0')", "true"),
            ("myIpAddress()", "192.168.7.20"),
            ("dnsDomainLevels('www')", "0"),
            ("dnsDomainLevels('www.netscape.com')", "2"),
            ("dnsDomainLevels('192.168.1.1')", "3"),
            ("shExpMatch('http://home.netscape.com/people/ari/index.html', '*/ari/*')", "true"),
            ("shExpMatch('http://home.netscape.com/people/montulli/index.html', '*/ari/*')", "false"),
            ("shExpMatch('abc', 'a?c')", "true"),
            ("shExpMatch('abbc', 'a?c')", "false"),
            ("shExpMatch('a.c', 'a.c')", "true"),
            ("shExpMatch('abc', 'a.c')", "false"),
            // As browsers: only ".", "*" and "?" are translated; the rest
            // is the regular expression's.
            ("shExpMatch('a+b(c)', 'a+b(c)')", "false"),
            ("shExpMatch('aabc', 'a+b(c)')", "true"),
            ("shExpMatch('example.com', '(*.|)example.com')", "true"),
            ("shExpMatch('www.example.com', '(*.|)example.com')", "true"),
            ("shExpMatch('badexample.com', '(*.|)example.com')", "false"),
            ("shExpMatch('host7.corp', 'host[0-9].corp')", "true"),
            ("shExpMatch('hostx.corp', 'host[0-9].corp')", "false"),
            ("shExpMatch('a.example', '(a|b).example')", "true"),
            // The clock: Saturday 2026-11-28 14:30:15 UTC.
            ("weekdayRange('SAT', 'GMT')", "true"),
            ("weekdayRange('MON', 'FRI', 'GMT')", "false"),
            ("weekdayRange('FRI', 'MON', 'GMT')", "true"),
            ("weekdayRange('SAT', 'WED', 'GMT')", "true"),
            ("weekdayRange('SUN', 'FRI', 'GMT')", "false"),
            ("weekdayRange('XYZ', 'GMT')", "false"),
            ("weekdayRange()", "false"),
            ("timeRange(14, 'GMT')", "true"),
            ("timeRange(15, 'GMT')", "false"),
            ("timeRange(9, 17, 'GMT')", "true"),
            ("timeRange(22, 6, 'GMT')", "false"),
            ("timeRange(14, 30, 14, 30, 'GMT')", "true"),
            ("timeRange(14, 31, 15, 0, 'GMT')", "false"),
            ("timeRange(14, 30, 15, 14, 30, 16, 'GMT')", "true"),
            ("timeRange(14, 30, 16, 14, 30, 20, 'GMT')", "false"),
            ("timeRange(23, 0, 15, 0, 'GMT')", "true"),
            ("(function(){ try { timeRange(1, 2, 3); return 'no'; } catch (e) { return 'threw'; } })()", "threw"),
            ("dateRange(28, 'GMT')", "true"),
            ("dateRange(1, 'GMT')", "false"),
            ("dateRange('NOV', 'GMT')", "true"),
            ("dateRange(2026, 'GMT')", "true"),
            ("dateRange(1, 15, 'GMT')", "false"),
            ("dateRange(25, 3, 'GMT')", "true"),
            ("dateRange('OCT', 'DEC', 'GMT')", "true"),
            ("dateRange('DEC', 'FEB', 'GMT')", "false"),
            ("dateRange('SEP', 'JAN', 'GMT')", "true"),
            ("dateRange(1, 'NOV', 30, 'NOV', 'GMT')", "true"),
            ("dateRange('NOV', 2026, 'DEC', 2026, 'GMT')", "true"),
            ("dateRange(1, 'JAN', 2026, 31, 'OCT', 2026, 'GMT')", "false"),
            ("dateRange(2020, 2025, 'GMT')", "false"),
            ("dateRange(28, 'NOV', 'GMT')", "true"),
            ("dateRange(1, 'JAN', 'GMT')", "true"),
            ("dateRange('FOO', 'GMT')", "false"),
            // Microsoft's set.
            ("dnsResolveEx('www.example.com')", "2001:db8::5;93.184.216.34"),
            ("dnsResolveEx('nowhere.example')", ""),
            ("isResolvableEx('v6only.example')", "true"),
            ("isResolvableEx('nowhere.example')", "false"),
            ("myIpAddressEx()", "fe80::1;192.168.7.20"),
            ("isInNetEx('198.95.249.79', '198.95.249.79/32')", "true"),
            ("isInNetEx('198.95.6.8', '198.95.0.0/16')", "true"),
            ("isInNetEx('198.95.6.8', '198.96.0.0/16')", "false"),
            ("isInNetEx('3ffe:8311:ffff:abcd:1234:dead:beef:101', '3ffe:8311:ffff::/48')", "true"),
            ("isInNetEx('10.1.2.3', '::ffff:10.0.0.0/104')", "true"),
            ("isInNetEx('10.1.2.3', 'nonsense')", "false"),
            ("sortIpAddressList('10.2.3.9;2001:4860:4860::8888;2001:4860:4860::8844;10.1.2.3')", "2001:4860:4860::8844;2001:4860:4860::8888;10.1.2.3;10.2.3.9"),
            ("sortIpAddressList(' 10.0.0.2 ; ::1')", "::1;10.0.0.2"),
            ("sortIpAddressList('')", "false"),
            ("sortIpAddressList('10.0.0.1;x')", "false"),
            ("getClientVersion()", "1.0"),
            ("alert('hello')", "undefined"),
            // Nothing beyond the language and the helpers.
            ("typeof require + typeof os + typeof std + typeof fetch + typeof XMLHttpRequest", "undefinedundefinedundefinedundefinedundefined"),
        ];
        let mut failures = Vec::new();
        for (expr, want) in rows {
            let got = js(expr);
            if got != *want {
                failures.push(format!("{expr} -> {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn find_proxy_passes_the_origin_and_the_bare_host() {
        let script = PacScript::new(
            "function FindProxyForURL(url, host) { return 'PROXY ' + (url === 'https://[2001:db8::1]:8443/' && host === '2001:db8::1' ? 'yes' : 'no') + ':1'; }",
        )
        .unwrap();
        let r = script
            .find_proxy(&"https://u:p@[2001:db8::1]:8443/a?b#c".parse().unwrap())
            .unwrap();
        assert_eq!(r.to_string(), "PROXY yes:1");
        // FindProxyForURLEx wins where defined.
        let ex = PacScript::new(
            "function FindProxyForURL(u, h) { return 'PROXY old:1'; } function FindProxyForURLEx(u, h) { return 'PROXY new:1'; }",
        )
        .unwrap();
        assert_eq!(ex.call("http://x/", "x").unwrap(), "PROXY new:1");
    }

    /// Each hostile script ends in a clear error well within a generous
    /// bound (5 s; the limits aim at about 100 ms), never a DIRECT.
    #[test]
    fn hostile_scripts_end_in_errors() {
        let rows: &[(&str, &str, &str)] = &[
            ("an endless loop", "function FindProxyForURL(u, h) { while (true) {} }", "did not finish within 100 ms"),
            ("an endless loop inside try/catch", "function FindProxyForURL(u, h) { for (;;) { try { while (true) {} } catch (e) {} } }", "did not finish within 100 ms"),
            ("a callback loop", "function FindProxyForURL(u, h) { [1,2,3].forEach(function () { while (true) {} }); }", "did not finish within 100 ms"),
            ("catastrophic backtracking", "function FindProxyForURL(u, h) { return String(/^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')); }", "did not finish within 100 ms"),
            ("a built-in that never yields", "function FindProxyForURL(u, h) { var a = []; for (var i = 0; i < 300000; i++) a.push(Math.random()); for (;;) a.sort(); }", "did not finish within 100 ms"),
            ("pushing objects forever", "function FindProxyForURL(u, h) { var a = []; for (;;) a.push({x: a.length}); }", "PAC"),
            ("a string doubled forever", "function FindProxyForURL(u, h) { var s = 'x'; for (;;) s = s + s; }", "PAC"),
            ("unbounded recursion", "function FindProxyForURL(u, h) { return FindProxyForURL(u, h); }", "FindProxyForURL threw"),
            ("a throw", "function FindProxyForURL(u, h) { throw new Error('boom'); }", "FindProxyForURL threw: Error: boom"),
            ("null", "function FindProxyForURL(u, h) { return null; }", "returned null, not a string"),
            ("undefined", "function FindProxyForURL(u, h) { }", "returned undefined, not a string"),
            ("a number", "function FindProxyForURL(u, h) { return 42; }", "not a string"),
            ("an object", "function FindProxyForURL(u, h) { return {}; }", "not a string"),
        ];
        for (name, source, want) in rows {
            let script = PacScript::new(source).unwrap_or_else(|e| panic!("{name}: {e}"));
            let started = Instant::now();
            let err = script.call("http://x/", "x").unwrap_err();
            let took = started.elapsed();
            assert!(matches!(err.kind(), ErrorKind::Pac(_)), "{name}: {err:?}");
            assert!(err.to_string().contains(want), "{name}: {err}");
            assert!(took < Duration::from_secs(5), "{name} took {took:?}");
            eprintln!("{name}: {took:?}: {err}");
        }
    }

    /// With time to spare, the memory cap (not the clock) stops a huge
    /// allocation.
    #[test]
    fn the_memory_cap_stops_an_allocation_bomb() {
        let mut limits = PacLimits::default();
        limits.deadline = Duration::from_secs(10);
        for source in [
            "function FindProxyForURL(u, h) { return String(new Array(4e8).fill(1.5).length); }",
            "function FindProxyForURL(u, h) { var a = []; for (;;) a.push('x'.repeat(65536) + a.length); }",
        ] {
            let started = Instant::now();
            let err = PacScript::new(source).unwrap().with_limits(limits).call("http://x/", "x").unwrap_err();
            assert!(err.to_string().contains("ran out of memory (the cap is 64 MiB)"), "{err}");
            assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
            eprintln!("{source}: {:?}", started.elapsed());
        }
    }

    #[test]
    fn bad_scripts_fail_when_loaded() {
        let rows = [
            ("function FindProxyForURL(u, h) {", "failed to load"),
            ("var x = 1;", "defines no function FindProxyForURL"),
            ("throw new Error('top');", "failed to load"),
            ("while (true) {}", "did not finish within 2000 ms"),
        ];
        for (source, want) in rows {
            let err = PacScript::new(source).unwrap_err();
            assert!(err.to_string().contains(want), "{source}: {err}");
        }
    }

    #[test]
    fn limits_are_the_callers() {
        let script = PacScript::new("function FindProxyForURL(u, h) { var t = Date.now(); while (Date.now() - t < 200) {} return 'DIRECT'; }")
            .unwrap();
        assert!(
            script.call("http://x/", "x").is_err(),
            "200 ms exceeds the default 100 ms"
        );
        let mut limits = PacLimits::default();
        limits.deadline = Duration::from_secs(2);
        assert_eq!(
            script.with_limits(limits).call("http://x/", "x").unwrap(),
            "DIRECT"
        );
    }

    // ===== warm runtimes =====

    /// A script that counts its calls in a global, and answers by host:
    /// `loop` never ends, `throw` throws, `bomb` exhausts memory.
    const COUNTER: &str = r#"
        var calls = 0;
        function FindProxyForURL(url, host) {
          calls++;
          if (host === "loop") for (;;) {}
          if (host === "throw") throw new Error("asked to");
          if (host === "bomb") { var a = []; for (;;) a.push("x".repeat(65536) + a.length); }
          if (host === "lookup") dnsResolve("slow.example");
          return "PROXY " + host + ":" + calls;
        }"#;

    #[test]
    fn the_runtime_stays_warm_and_keeps_its_globals() {
        let script = PacScript::new(COUNTER).unwrap().with_resolver(dns);
        let answers: Vec<String> = ["a", "b", "c"]
            .iter()
            .map(|h| script.call("http://x/", h).unwrap())
            .collect();
        assert_eq!(answers, ["PROXY a:1", "PROXY b:2", "PROXY c:3"]);
        // Clones share the runtime; a script's own exception keeps it.
        let clone = script.clone();
        assert!(clone
            .call("http://x/", "throw")
            .unwrap_err()
            .to_string()
            .contains("asked to"));
        assert_eq!(clone.call("http://x/", "d").unwrap(), "PROXY d:5");
        // A clone with other settings gets its own runtime.
        let other = script.clone().with_clock(clock());
        assert_eq!(other.call("http://x/", "e").unwrap(), "PROXY e:1");
        assert_eq!(script.call("http://x/", "f").unwrap(), "PROXY f:6");
    }

    #[test]
    fn a_timed_out_or_exhausted_call_retires_the_runtime_and_the_next_call_works() {
        let mut limits = PacLimits::default();
        limits.deadline = Duration::from_secs(3);
        let script = PacScript::new(COUNTER)
            .unwrap()
            .with_resolver(dns)
            .with_limits(limits);
        assert_eq!(script.call("http://x/", "a").unwrap(), "PROXY a:1");
        for (host, want) in [
            ("loop", "did not finish within 3000 ms"),
            ("bomb", "ran out of memory"),
        ] {
            let started = Instant::now();
            let err = script.call("http://x/", host).unwrap_err();
            let failed = started.elapsed();
            assert!(err.to_string().contains(want), "{host}: {err}");
            assert!(failed < Duration::from_secs(4), "{host}: {failed:?}");
            let started = Instant::now();
            // A fresh runtime: the count starts again.
            assert_eq!(
                script.call("http://x/", "b").unwrap(),
                "PROXY b:1",
                "after {host}"
            );
            let next = started.elapsed();
            assert!(next < Duration::from_secs(1), "after {host}: {next:?}");
            eprintln!("{host}: failed in {failed:?}, next call in {next:?}");
        }
    }

    /// A resolver that blocks until the test opens its gate: a native call
    /// that no interrupt can stop.
    #[derive(Clone, Default)]
    struct Gate(std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

    impl Gate {
        fn open(&self) {
            *self.0 .0.lock().unwrap() = true;
            self.0 .1.notify_all();
        }
    }

    impl proxyroute::pac::HostResolver for Gate {
        fn resolve(&self, _host: &str) -> Vec<IpAddr> {
            let (open, cond) = &*self.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cond.wait(open).unwrap();
            }
            Vec::new()
        }
    }

    #[test]
    fn abandoned_runtimes_are_bounded_and_released() {
        let gate = Gate::default();
        let script = PacScript::new(COUNTER).unwrap().with_resolver(gate.clone());
        for i in 0..4 {
            let started = Instant::now();
            let err = script.call("http://x/", "lookup").unwrap_err();
            assert!(
                err.to_string().contains("its runtime was abandoned"),
                "{i}: {err}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{:?}",
                started.elapsed()
            );
        }
        // Four threads are stuck in the resolver: no fifth is started.
        let started = Instant::now();
        let err = script.call("http://x/", "a").unwrap_err();
        assert!(
            err.to_string()
                .contains("4 abandoned evaluations of this script are still running"),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
        gate.open();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match script.call("http://x/", "a") {
                Ok(answer) => {
                    assert_eq!(answer, "PROXY a:1");
                    break;
                }
                Err(e) if Instant::now() < deadline => {
                    assert!(e.to_string().contains("still running"), "{e}");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("the stuck threads never ended: {e}"),
            }
        }
    }

    #[test]
    fn many_threads_share_the_script() {
        const BY_HOST: &str =
            "function FindProxyForURL(url, host) { return 'PROXY ' + host + ':' + url.length; }";
        for workers in [1, 3] {
            let script = PacScript::new(BY_HOST).unwrap().with_workers(workers);
            std::thread::scope(|s| {
                for t in 0..6 {
                    let script = &script;
                    s.spawn(move || {
                        for i in 0..50 {
                            let host = format!("h{t}x{i}");
                            let url = format!("http://{host}/");
                            let want = format!("PROXY {host}:{}", url.len());
                            assert_eq!(script.call(&url, &host).unwrap(), want);
                        }
                    });
                }
            });
        }
        fn shared<T: Send + Sync + Clone>() {}
        shared::<PacScript>();
    }

    // ===== the result cache =====

    /// A clock the test moves by hand, in seconds after `clock()`.
    #[derive(Clone, Default)]
    struct Manual(std::sync::Arc<std::sync::atomic::AtomicU64>);

    impl Manual {
        fn advance(&self, secs: u64) {
            self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
        }
    }

    impl proxyroute::pac::Clock for Manual {
        fn now(&self) -> SystemTime {
            clock() + Duration::from_secs(self.0.load(std::sync::atomic::Ordering::SeqCst))
        }
    }

    /// Answers with the URL and a count of the script's runs, so a cached
    /// answer shows by its count; `flaky` throws on its first run.
    const RUNS: &str = r#"
        var runs = 0;
        function FindProxyForURL(url, host) {
          runs++;
          if (host === "flaky" && runs === 1) throw new Error("first run");
          return "PROXY " + host + ":" + runs + "; DIRECT";
        }"#;

    fn runs(cache: PacCache, clock: &Manual) -> PacScript {
        PacScript::new(RUNS)
            .unwrap()
            .with_clock(clock.clone())
            .with_cache(cache)
    }

    /// `(raw, cached)` for `url`.
    fn ask(script: &PacScript, url: &str) -> (String, bool) {
        let answer = script.find_proxy_traced(&url.parse().unwrap()).unwrap();
        assert_eq!(
            answer.result(),
            &proxyroute::pac::PacResult::parse(answer.raw())
        );
        (answer.raw().to_owned(), answer.is_cached())
    }

    fn hit(raw: &str) -> (String, bool) {
        (raw.to_owned(), true)
    }

    fn miss(raw: &str) -> (String, bool) {
        (raw.to_owned(), false)
    }

    #[test]
    fn cache_hits_are_marked_and_skip_the_script() {
        let clock = Manual::default();
        let script = runs(PacCache::default(), &clock);
        assert_eq!(
            script.cache(),
            PacCache::new(1024, Duration::from_secs(300))
        );
        assert_eq!(
            ask(&script, "https://a.example/x?y"),
            miss("PROXY a.example:1; DIRECT")
        );
        assert_eq!(
            ask(&script, "https://a.example/other"),
            hit("PROXY a.example:1; DIRECT")
        );
        // The key is the origin the script sees: the default port is the same origin.
        assert_eq!(
            ask(&script, "https://a.example:443/"),
            hit("PROXY a.example:1; DIRECT")
        );
        assert_eq!(
            ask(&script, "http://a.example/"),
            miss("PROXY a.example:2; DIRECT")
        );
        // find_proxy answers from the cache too.
        assert_eq!(
            script
                .find_proxy(&"http://a.example/".parse().unwrap())
                .unwrap()
                .to_string(),
            "PROXY a.example:2; DIRECT"
        );
        // Clones share the cache.
        assert_eq!(
            ask(&script.clone(), "http://a.example/"),
            hit("PROXY a.example:2; DIRECT")
        );
        // call() is never cached.
        assert_eq!(
            script.call("http://a.example/", "a.example").unwrap(),
            "PROXY a.example:3; DIRECT"
        );
    }

    #[test]
    fn different_ports_are_different_answers() {
        let clock = Manual::default();
        let script = runs(PacCache::default(), &clock);
        assert_eq!(
            ask(&script, "http://a.example:8080/"),
            miss("PROXY a.example:1; DIRECT")
        );
        assert_eq!(
            ask(&script, "http://a.example:8081/"),
            miss("PROXY a.example:2; DIRECT")
        );
        assert_eq!(
            ask(&script, "http://a.example:8080/"),
            hit("PROXY a.example:1; DIRECT")
        );
        assert_eq!(
            ask(&script, "http://b.example:8080/"),
            miss("PROXY b.example:3; DIRECT")
        );
    }

    #[test]
    fn cached_answers_expire() {
        let clock = Manual::default();
        let script = runs(PacCache::new(16, Duration::from_secs(60)), &clock);
        assert_eq!(
            ask(&script, "http://a.example/"),
            miss("PROXY a.example:1; DIRECT")
        );
        clock.advance(59);
        assert_eq!(
            ask(&script, "http://a.example/"),
            hit("PROXY a.example:1; DIRECT")
        );
        clock.advance(1);
        assert_eq!(
            ask(&script, "http://a.example/"),
            miss("PROXY a.example:2; DIRECT")
        );
        assert_eq!(
            ask(&script, "http://a.example/"),
            hit("PROXY a.example:2; DIRECT")
        );
    }

    #[test]
    fn the_cache_is_bounded_and_drops_the_oldest() {
        let clock = Manual::default();
        let script = runs(PacCache::new(2, Duration::from_secs(600)), &clock);
        for (url, want) in [
            ("http://a/", miss("PROXY a:1; DIRECT")),
            ("http://b/", miss("PROXY b:2; DIRECT")),
            ("http://a/", hit("PROXY a:1; DIRECT")),
            // Full: c drops a, the oldest kept.
            ("http://c/", miss("PROXY c:3; DIRECT")),
            ("http://b/", hit("PROXY b:2; DIRECT")),
            ("http://a/", miss("PROXY a:4; DIRECT")),
            ("http://c/", hit("PROXY c:3; DIRECT")),
            ("http://b/", miss("PROXY b:5; DIRECT")),
        ] {
            assert_eq!(ask(&script, url), want, "{url}");
            clock.advance(1);
        }
        // Expired answers go first, even when newer than others.
        let script = runs(PacCache::new(2, Duration::from_secs(10)), &clock);
        assert_eq!(ask(&script, "http://a/"), miss("PROXY a:1; DIRECT"));
        clock.advance(10);
        assert_eq!(ask(&script, "http://b/"), miss("PROXY b:2; DIRECT"));
        assert_eq!(ask(&script, "http://c/"), miss("PROXY c:3; DIRECT"));
        assert_eq!(ask(&script, "http://b/"), hit("PROXY b:2; DIRECT"));
    }

    #[test]
    fn errors_are_not_cached() {
        let clock = Manual::default();
        let script = runs(PacCache::default(), &clock);
        let target = "http://flaky/".parse().unwrap();
        let err = script.find_proxy_traced(&target).unwrap_err();
        assert!(err.to_string().contains("first run"), "{err}");
        assert_eq!(ask(&script, "http://flaky/"), miss("PROXY flaky:2; DIRECT"));
        assert_eq!(ask(&script, "http://flaky/"), hit("PROXY flaky:2; DIRECT"));
        // Nor are huge result strings.
        let big = PacScript::new(
            "var n = 0; function FindProxyForURL(u, h) { n++; return 'PROXY p:' + n + ';' + ' '.repeat(h === 'big' ? 9000 : 8000); }",
        )
        .unwrap();
        for (host, cached) in [
            ("big", false),
            ("big", false),
            ("small", false),
            ("small", true),
        ] {
            let answer = big
                .find_proxy_traced(&format!("http://{host}/").parse().unwrap())
                .unwrap();
            assert_eq!(answer.is_cached(), cached, "{host}");
        }
    }

    #[test]
    fn the_cache_can_be_turned_off_and_settings_forget_it() {
        let clock = Manual::default();
        for script in [
            runs(PacCache::default(), &clock).without_cache(),
            runs(PacCache::new(0, Duration::from_secs(60)), &clock),
        ] {
            assert_eq!(ask(&script, "http://a/"), miss("PROXY a:1; DIRECT"));
            assert_eq!(ask(&script, "http://a/"), miss("PROXY a:2; DIRECT"));
        }
        // A new resolver or clock may change answers: the cache is dropped.
        let script = runs(PacCache::default(), &clock);
        assert_eq!(ask(&script, "http://a/"), miss("PROXY a:1; DIRECT"));
        let script = script.with_resolver(dns);
        assert_eq!(ask(&script, "http://a/"), miss("PROXY a:2; DIRECT"));
        // A clone with its own settings keeps its own cache.
        let other = script.clone().with_clock(clock.clone());
        assert_eq!(ask(&other, "http://a/"), miss("PROXY a:1; DIRECT"));
        assert_eq!(ask(&script, "http://a/"), hit("PROXY a:2; DIRECT"));
    }

    // ===== which branch answered =====

    /// Each row: a script, a URL, then the string returned (or an error
    /// containing the text after `error: `) and the branch reported, as
    /// `line N: text`, or "" for none.
    #[test]
    fn branch_rows() {
        const NESTED: &str = r#"function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".corp.example")) {
    if (shExpMatch(host, "git.*"))
      return "PROXY git-gw:3128";
    else if (host === "wiki.corp.example") { return "DIRECT"; }
    return "PROXY corp:3128";
  }
  return "PROXY internet:3128";
}"#;
        const HIDDEN: &str = r#"function FindProxyForURL(url, host) {
  var s = 'return "PROXY s:1"'; // return "PROXY c:1"
  /* return "PROXY b:1";
     return "PROXY b:2"; */
  var r = /return "x"/, half = 10 / 2 / 5;
  var t = `return ${ "return" } ${ `return ${host}` }`;
  if (host === "s") return s.substring(8, 17);
  return r.test('return "x"') && t === "return return return " + host && half === 1 ? "DIRECT" : "PROXY broken:1";
}"#;
        const TEMPLATE: &str = r#"function FindProxyForURL(url, host) {
  return `PROXY ${host.split(".")[0]}-gw:${ host.length > 5 ? `${8000 + host.length}` : "80" }`;
}"#;
        const ASI: &str = "function FindProxyForURL(url, host) {\n  return\n  \"DIRECT\";\n}";
        const HELPERS: &str = r#"function pick(host) {
  if (host === "a") return "PROXY a:1";
  return "PROXY other:1";
}
function FindProxyForURL(url, host) {
  var inner = function () { return "DIRECT"; };
  if (host === "inner") return inner();
  return pick(host);
}"#;
        const FINALLY: &str = r#"function FindProxyForURL(url, host) {
  try {
    return "PROXY try:1";
  } finally {
    if (host === "f") return "PROXY finally:1";
  }
}"#;
        const EX: &str = r#"function FindProxyForURL(url, host) { return "PROXY old:1"; }
var FindProxyForURLEx = function (url, host) {
  return "PROXY new:1";
};"#;
        const UNTOKENIZABLE: &str = r#"function FindProxyForURL(url, host) {
  if (host) /"/.test(host);
  return "DIRECT";
}"#;
        const CLASH: &str = r#"function __pr_hit(n) { return n; }
function FindProxyForURL(url, host) { return "PROXY clash:1"; }"#;
        #[rustfmt::skip]
        let rows: &[(&str, &str, &str, &str, &str)] = &[
            ("nested ifs: inner if", NESTED, "http://git.corp.example/", "PROXY git-gw:3128", r#"line 4: return "PROXY git-gw:3128";"#),
            ("nested ifs: else if with a block", NESTED, "http://wiki.corp.example/", "DIRECT", r#"line 5: else if (host === "wiki.corp.example") { return "DIRECT"; }"#),
            ("nested ifs: after the inner ifs", NESTED, "http://mail.corp.example/", "PROXY corp:3128", r#"line 6: return "PROXY corp:3128";"#),
            ("nested ifs: the last return", NESTED, "http://example.com/", "PROXY internet:3128", r#"line 8: return "PROXY internet:3128";"#),
            ("returns in strings, comments, regex and templates are text", HIDDEN, "http://h/", "DIRECT", r#"line 8: return r.test('return "x"') && t === "return return return " + host && half === 1 ? "DIRECT" : "PROXY broken:1";"#),
            ("a string holding a return keeps its text", HIDDEN, "http://s/", "PROXY s:1", r#"line 7: if (host === "s") return s.substring(8, 17);"#),
            ("template literals", TEMPLATE, "http://office.example/", "PROXY office-gw:8014", r#"line 2: return `PROXY ${host.split(".")[0]}-gw:${ host.length > 5 ? `${8000 + host.length}` : "80" }`;"#),
            ("template literals, short", TEMPLATE, "http://ab/", "PROXY ab-gw:80", r#"line 2: return `PROXY ${host.split(".")[0]}-gw:${ host.length > 5 ? `${8000 + host.length}` : "80" }`;"#),
            ("return then a line break returns undefined", ASI, "http://x/", "error: returned undefined, not a string", ""),
            ("a helper's return is not FindProxyForURL's", HELPERS, "http://a/", "PROXY a:1", "line 8: return pick(host);"),
            ("a nested function's return neither", HELPERS, "http://inner/", "DIRECT", r#"line 7: if (host === "inner") return inner();"#),
            ("try: the return that wins", FINALLY, "http://t/", "PROXY try:1", r#"line 3: return "PROXY try:1";"#),
            ("finally: the return that wins", FINALLY, "http://f/", "PROXY finally:1", r#"line 5: if (host === "f") return "PROXY finally:1";"#),
            ("FindProxyForURLEx, assigned", EX, "http://x/", "PROXY new:1", r#"line 3: return "PROXY new:1";"#),
            ("an untokenizable script runs plain", UNTOKENIZABLE, "http://x/", "DIRECT", ""),
            ("an instrumented script that fails to load runs plain", CLASH, "http://x/", "PROXY clash:1", ""),
        ];
        let mut failures = Vec::new();
        for (name, source, url, want, branch) in rows {
            let script = PacScript::builder(source)
                .resolver(dns)
                .trace(true)
                .build()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // Twice: the second answer comes from the cache, branch and all.
            for round in 0..2 {
                let got = match script.find_proxy_traced(&url.parse().unwrap()) {
                    Ok(answer) => {
                        assert_eq!(
                            answer.is_cached(),
                            round == 1 && !want.starts_with("error: ")
                        );
                        (
                            answer.raw().to_owned(),
                            answer.branch().map(ToString::to_string).unwrap_or_default(),
                        )
                    }
                    Err(e) => (format!("error: {e}"), String::new()),
                };
                let ok = match want.strip_prefix("error: ") {
                    Some(text) => got.0.contains(text),
                    None => got.0 == *want,
                };
                if !ok || got.1 != *branch {
                    failures.push(format!(
                        "{name}, round {round}: {url} -> {:?}, branch {:?}",
                        got.0, got.1
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }
}

#[cfg(feature = "pac")]
#[test]
fn system_dns_answers_literals_and_localhost_and_gives_up_on_junk() {
    use proxyroute::pac::{HostResolver, SystemDns};
    let dns = SystemDns::default();
    assert_eq!(
        dns.resolve("10.1.2.3"),
        vec!["10.1.2.3".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(
        dns.resolve("localhost").iter().any(|ip| ip.is_loopback()),
        "{:?}",
        dns.resolve("localhost")
    );
    assert!(dns.resolve("bad host name").is_empty());
    assert!(dns.resolve("").is_empty());
}

/// Realistic PAC scripts (corporate patterns written for these tests), each
/// with the routes it must give: resolved with a fixed DNS table and clock.
#[cfg(feature = "pac")]
#[test]
fn realistic_scripts() {
    use std::net::IpAddr;
    use std::time::{Duration, UNIX_EPOCH};

    use proxyroute::pac::PacScript;

    fn dns(host: &str) -> Vec<IpAddr> {
        let table: &[(&str, &str)] = &[
            ("wiki.corp.example", "10.20.1.5"),
            ("git.corp.example", "10.20.1.6"),
            ("partner.example", "172.16.4.2"),
            ("www.example.com", "93.184.216.34"),
            ("printer", "192.168.1.50"),
        ];
        if let Ok(ip) = host.parse() {
            return vec![ip];
        }
        table
            .iter()
            .filter(|(h, _)| *h == host)
            .map(|(_, ip)| ip.parse().unwrap())
            .collect()
    }
    // Saturday 2026-11-28 14:30:15 UTC.
    let clock = UNIX_EPOCH + Duration::from_secs(1_795_876_215);

    const CORP: &str = r#"
        function FindProxyForURL(url, host) {
          if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
          if (isInNet(dnsResolve(host), "10.0.0.0", "255.0.0.0")) return "DIRECT";
          if (shExpMatch(url, "https://*")) return "PROXY p1.corp.example:3128; PROXY p2.corp.example:3128";
          return "PROXY p1.corp.example:3128; SOCKS5 socks.corp.example:1080; DIRECT";
        }"#;
    const BY_SCHEME: &str = r#"
        function FindProxyForURL(url, host) {
          if (url.substring(0, 5) === "http:") return "PROXY web.example:80";
          if (url.substring(0, 6) === "https:") return "PROXY secure.example:8443";
          if (url.substring(0, 4) === "ftp:") return "PROXY ftp.example:2121";
          return "DIRECT";
        }"#;
    const LOCALHOST: &str = r#"
        function FindProxyForURL(url, host) {
          if (host === "localhost" || host === "127.0.0.1" || host === "::1") return "DIRECT";
          if (localHostOrDomainIs(host, "www.example.com")) return "DIRECT";
          return "PROXY p:3128";
        }"#;
    const LEVELS: &str = r#"
        function FindProxyForURL(url, host) {
          return dnsDomainLevels(host) > 2 ? "PROXY deep:1" : "PROXY shallow:1";
        }"#;
    const HOURS: &str = r#"
        function FindProxyForURL(url, host) {
          if (timeRange(8, 18, "GMT") && weekdayRange("MON", "FRI", "GMT")) return "PROXY office:3128";
          return "PROXY afterhours:3128; DIRECT";
        }"#;
    const PARTNER: &str = r#"
        var partners = ["partner.example", "supplier.example"];
        function FindProxyForURL(url, host) {
          for (var i = 0; i < partners.length; i++) {
            if (dnsDomainIs(host, partners[i])) return "SOCKS partner-gw:1080";
          }
          if (isInNet(host, "172.16.0.0", "255.240.0.0")) return "SOCKS5 partner-gw:1081";
          return "DIRECT";
        }"#;
    const LOAD_BALANCE: &str = r#"
        function FindProxyForURL(url, host) {
          var n = 0;
          for (var i = 0; i < host.length; i++) n = (n + host.charCodeAt(i)) % 2;
          return n === 0 ? "PROXY a.lb:3128; PROXY b.lb:3128" : "PROXY b.lb:3128; PROXY a.lb:3128";
        }"#;
    const EX: &str = r#"
        function FindProxyForURLEx(url, host) {
          if (isInNetEx(host, "2001:db8::/32")) return "DIRECT";
          if (isResolvableEx(host)) return "HTTPS tls-proxy.example:443";
          return "PROXY fallback:3128";
        }"#;
    const SLOPPY: &str = r#"
        function FindProxyForURL(url, host) {
          return "  proxy   a.example:8080 ;; socks b.example ; bogus c ; DIRECT ";
        }"#;
    const EMPTY: &str = r#"function FindProxyForURL(url, host) { return ""; }"#;

    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, &str)] = &[
        ("corp: a plain host name", CORP, "http://intranet/", "DIRECT"),
        ("corp: an internal domain", CORP, "https://wiki.corp.example/", "DIRECT"),
        ("corp: a name in 10/8 by DNS", CORP, "http://10.20.1.6/", "DIRECT"),
        ("corp: https goes to two proxies", CORP, "https://www.example.com/", "PROXY p1.corp.example:3128; PROXY p2.corp.example:3128"),
        ("corp: http falls back to SOCKS then DIRECT", CORP, "http://www.example.com/", "PROXY p1.corp.example:3128; SOCKS5 socks.corp.example:1080; DIRECT"),
        ("corp: an unresolvable name is proxied", CORP, "http://nowhere.example/", "PROXY p1.corp.example:3128; SOCKS5 socks.corp.example:1080; DIRECT"),
        ("by scheme: http", BY_SCHEME, "http://a.example/", "PROXY web.example:80"),
        ("by scheme: https", BY_SCHEME, "https://a.example/", "PROXY secure.example:8443"),
        ("by scheme: ftp", BY_SCHEME, "ftp://a.example/", "PROXY ftp.example:2121"),
        ("by scheme: ws", BY_SCHEME, "ws://a.example/", "DIRECT"),
        ("localhost is direct", LOCALHOST, "http://localhost:8080/", "DIRECT"),
        ("::1 arrives unbracketed", LOCALHOST, "http://[::1]/", "DIRECT"),
        ("localHostOrDomainIs exact", LOCALHOST, "https://www.example.com/", "DIRECT"),
        ("localHostOrDomainIs other", LOCALHOST, "https://example.com/", "PROXY p:3128"),
        ("levels: deep", LEVELS, "https://a.b.c.example/", "PROXY deep:1"),
        ("levels: shallow", LEVELS, "https://b.example/", "PROXY shallow:1"),
        ("office hours: Saturday is after hours", HOURS, "https://a.example/", "PROXY afterhours:3128; DIRECT"),
        ("partners: a listed domain over SOCKS4", PARTNER, "https://partner.example/", "SOCKS4 partner-gw:1080"),
        ("partners: 172.16/12 over SOCKS5", PARTNER, "http://172.20.1.1/", "SOCKS5 partner-gw:1081"),
        ("partners: others direct", PARTNER, "http://www.example.com/", "DIRECT"),
        ("load balance by host", LOAD_BALANCE, "http://ab/", "PROXY b.lb:3128; PROXY a.lb:3128"),
        ("load balance by host, other order", LOAD_BALANCE, "http://aa/", "PROXY a.lb:3128; PROXY b.lb:3128"),
        ("Ex: an IPv6 range is direct", EX, "https://[2001:db8::9]/", "DIRECT"),
        ("Ex: resolvable names use a TLS proxy", EX, "https://www.example.com/", "HTTPS tls-proxy.example:443"),
        ("Ex: others fall back", EX, "https://nowhere.example/", "PROXY fallback:3128"),
        ("sloppy results are read as browsers read them", SLOPPY, "http://x/", "PROXY a.example:8080; SOCKS4 b.example:1080; DIRECT"),
        ("an empty result is DIRECT", EMPTY, "http://x/", "DIRECT"),
    ];
    let mut failures = Vec::new();
    for (name, source, url, want) in rows {
        let script = PacScript::new(source)
            .unwrap()
            .with_resolver(dns)
            .with_clock(clock);
        match script.find_proxy(&url.parse().unwrap()) {
            Ok(r) if r.to_string() == *want => {}
            Ok(r) => failures.push(format!("{name}: {url} -> {r}, want {want}")),
            Err(e) => failures.push(format!("{name}: {url} -> error {e}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[cfg(feature = "pac-fetch")]
#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

/// A PAC file served over loopback and one from `file://`, end to end
/// through the CLI, directly and as a GNOME `autoconfig-url` read by the
/// system reader.
#[cfg(feature = "pac-fetch")]
mod end_to_end {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::process::Command;

    use super::cli;

    const SCRIPT: &str = r#"function FindProxyForURL(url, host) {
  if (isPlainHostName(host)) return "DIRECT";
  return "PROXY served.example:3128; SOCKS5 socks.example:1080";
}"#;

    /// Serves `body` with `status` to every request, on a free loopback port.
    fn serve(status: &'static str, body: String) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/x-ns-proxy-autoconfig\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        port
    }

    fn run(args: &[&str]) -> (i32, String, String) {
        let bin = cli::resolve_bin();
        let out = Command::new(bin).args(args).env_clear().output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn served_and_file_scripts_resolve_through_the_cli() {
        let port = serve("200 OK", SCRIPT.to_owned());
        let url = format!("http://127.0.0.1:{port}/proxy.pac");
        let (code, out, err) = run(&[
            "--pac",
            &url,
            "--json",
            "https://example.com/",
            "http://intranet/",
        ]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].contains(
                r#""route": ["http://served.example:3128", "socks5://socks.example:1080"]"#
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains(r#""source": "custom:pac""#),
            "{}",
            lines[0]
        );
        assert!(lines[1].contains(r#""route": ["DIRECT"]"#), "{}", lines[1]);

        let dir = std::env::temp_dir().join(format!("proxyroute-pac-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("proxy.pac");
        std::fs::write(&file, SCRIPT).unwrap();
        let file_url = format!("file://{}", file.display());
        let (code, out, _) = run(&["--pac", &file_url, "https://example.com/"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("route:   http://served.example:3128, then socks5://socks.example:1080"),
            "{out}"
        );

        // A GNOME setting naming the served script.
        let gsettings = dir.join("gsettings.txt");
        std::fs::write(
            &gsettings,
            format!("org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{url}'\n"),
        )
        .unwrap();
        let (code, out, err) = run(&[
            "--gnome-gsettings",
            gsettings.to_str().unwrap(),
            "--json",
            "https://example.com/",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(
                r#""route": ["http://served.example:3128", "socks5://socks.example:1080"]"#
            ),
            "{out}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fetch_failures_are_errors_naming_the_url() {
        let port = serve("404 Not Found", "nope".to_owned());
        let url = format!("http://127.0.0.1:{port}/missing.pac");
        let (code, _, err) = run(&["--pac", &url, "https://example.com/"]);
        assert_eq!(code, 2);
        assert!(
            err.contains(&format!("PAC URL {url}: fetch failed")) && err.contains("404"),
            "{err}"
        );

        let big = format!("{SCRIPT}\n//{}", "x".repeat(2 << 20));
        let port = serve("200 OK", big);
        let url = format!("http://127.0.0.1:{port}/big.pac");
        let (code, _, err) = run(&["--pac", &url, "https://example.com/"]);
        assert_eq!(code, 2);
        assert!(err.contains("at most 1 MiB"), "{err}");

        let (code, _, err) = run(&["--pac", "ftp://example.invalid/x.pac", "http://a/"]);
        assert_eq!(code, 2);
        assert!(err.contains("only file:// URLs"), "{err}");
        let (code, _, err) = run(&["--pac", "file:///nonexistent/x.pac", "http://a/"]);
        assert_eq!(code, 2);
        assert!(
            err.contains("PAC URL file:///nonexistent/x.pac: cannot read it"),
            "{err}"
        );
    }
}

//! The CLI's `--pac` output (the `proxyroute` binary, built with `--features
//! pac`), run as a user would run it: the human form names the `return`
//! that answered, and the JSON form carries the same reason.
#![cfg(feature = "pac")]

use std::path::PathBuf;
use std::process::Command;

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

const CORP: &str = r#"function FindProxyForURL(url, host) {
  if (isPlainHostName(host)) return "DIRECT";
  if (dnsDomainIs(host, ".corp.example")) {
    return "PROXY corp.example:3128";
  }
  return "PROXY internet.example:3128; DIRECT";
}
"#;

/// A script file in a directory of its own, removed on drop.
struct ScriptFile {
    dir: PathBuf,
    path: PathBuf,
}

impl ScriptFile {
    fn new(name: &str, text: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("proxyroute-pac-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("proxy.pac");
        std::fs::write(&path, text).unwrap();
        ScriptFile { dir, path }
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for ScriptFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let bin = cli::resolve_bin();
    let out = Command::new(bin).args(args).env_clear().output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn human_output_names_the_branch() {
    let file = ScriptFile::new("branch", CORP);
    let (code, out, err) = run(&[
        "--pac",
        file.path(),
        "http://intranet/",
        "https://git.corp.example/",
        "https://example.com/",
    ]);
    assert_eq!(code, 0, "{err}");
    // The script is the resolver's PAC layer: `resolve`'s route, `explain`'s
    // reason naming the `return` that answered.
    let want = format!("note: the PAC script is {}\n", file.path());
    assert!(out.starts_with(&want), "{out}");
    for (url, route, branch) in [
        (
            "http://intranet/",
            "DIRECT",
            r#"returned "DIRECT" at line 2: if (isPlainHostName(host)) return "DIRECT";"#,
        ),
        (
            "https://git.corp.example/",
            "http://corp.example:3128",
            r#"returned "PROXY corp.example:3128" at line 4: return "PROXY corp.example:3128";"#,
        ),
        (
            "https://example.com/",
            "http://internet.example:3128, then DIRECT",
            r#"at line 6: return "PROXY internet.example:3128; DIRECT";"#,
        ),
    ] {
        let want = format!("{url}\n  route:   {route}\n  source:  custom:pac (curl dialect)\n");
        assert!(out.contains(&want), "{want}\n{out}");
        assert!(out.contains(branch), "{branch}\n{out}");
    }
}

#[test]
fn json_output_is_the_resolvers_decision() {
    let file = ScriptFile::new("json", CORP);
    let (code, out, err) = run(&["--pac", file.path(), "--json", "http://intranet/"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "{\"url\": \"http://intranet/\", \"route\": [\"DIRECT\"], \"source\": \"custom:pac\", \
             \"reason\": \"the configured PAC script; FindProxyForURL(\\\"http://intranet/\\\", \
             \\\"intranet\\\") returned \\\"DIRECT\\\" at line 2: "
        ),
        "{out}"
    );
    assert!(
        out.contains("\"rule\": null, \"violations\": [], \"layer\": \"custom\""),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn without_branch_information_the_raw_result_is_shown() {
    // A regular expression after `)` defeats the tokenizer: the script runs
    // as given, and the output shows what it returned, without a branch.
    let file = ScriptFile::new(
        "plain",
        "function FindProxyForURL(url, host) {\n  if (host) /\"/.test(host);\n  return \"PROXY p.example:8080\";\n}\n",
    );
    let (code, out, err) = run(&["--pac", file.path(), "http://x/"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("returned \"PROXY p.example:8080\", so the request tries"),
        "{out}"
    );
    assert!(!out.contains(" at line "), "{out}");
}

#[test]
fn a_failing_script_is_an_error_for_its_url() {
    let file = ScriptFile::new(
        "asi",
        "function FindProxyForURL(url, host) {\n  return\n  \"DIRECT\";\n}\n",
    );
    let (code, out, _) = run(&["--pac", file.path(), "http://x/"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "http://x/\n  route:   none (custom:pac: FindProxyForURL returned undefined, not a string)\n"
        ),
        "{out}"
    );
}

// ===== child-process isolation =====

mod isolated {
    use std::net::IpAddr;
    use std::time::{Duration, Instant, UNIX_EPOCH};

    use proxyroute::pac::child::ChildProcess;
    use proxyroute::pac::{PacLimits, PacScript};

    use super::{run, ScriptFile};

    /// The `proxyroute` binary serves as the child (`--pac-child`).
    fn child() -> ChildProcess {
        ChildProcess::new(super::cli::resolve_bin()).arg("--pac-child")
    }

    /// A morning clock for the scripts that must not take the afternoon
    /// branch of `BY_HOST` (Saturday 2026-11-28 09:30:15 UTC): the real clock
    /// would make them fail between 14:00 and 15:00 UTC.
    fn morning() -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_795_876_215 - 5 * 3600)
    }

    const BY_HOST: &str = r#"var calls = 0;
function FindProxyForURL(url, host) {
  calls++;
  if (host === "loop.example") for (;;) {}
  if (host === "bomb.example") { var a = []; for (;;) a.push("x".repeat(65536) + a.length); }
  if (host === "huge.example") return String(new Array(4e8).fill(1.5).length);
  if (host === "wedge.example") { var b = []; for (var i = 0; i < 300000; i++) b.push(Math.random()); for (;;) b.sort(); }
  if (isInNet(dnsResolve(host), "10.0.0.0", "255.0.0.0")) return "DIRECT";
  if (timeRange(14, "GMT") && myIpAddress() === "192.168.7.20") return "PROXY afternoon.example:3128";
  return "PROXY p.example:" + calls;
}"#;

    struct Table;
    impl proxyroute::pac::HostResolver for Table {
        fn resolve(&self, host: &str) -> Vec<IpAddr> {
            match host {
                "wiki.corp.example" => vec!["10.20.1.5".parse().unwrap()],
                _ => host.parse().into_iter().collect(),
            }
        }
        fn local_addresses(&self) -> Vec<IpAddr> {
            vec!["192.168.7.20".parse().unwrap()]
        }
    }

    #[test]
    fn a_script_answers_from_a_child_with_the_parents_resolver_and_clock() {
        // Saturday 2026-11-28 14:30:15 UTC.
        let clock = UNIX_EPOCH + Duration::from_secs(1_795_876_215);
        let script = PacScript::builder(BY_HOST)
            .isolated(child())
            .resolver(Table)
            .clock(clock)
            .trace(true)
            .build()
            .unwrap();
        let answer = script
            .find_proxy_traced(&"https://wiki.corp.example/".parse().unwrap())
            .unwrap();
        assert_eq!(answer.raw(), "DIRECT");
        assert_eq!(
            answer.branch().unwrap().to_string(),
            r#"line 8: if (isInNet(dnsResolve(host), "10.0.0.0", "255.0.0.0")) return "DIRECT";"#
        );
        let answer = script
            .find_proxy_traced(&"https://example.com/".parse().unwrap())
            .unwrap();
        assert_eq!(answer.raw(), "PROXY afternoon.example:3128");
        assert_eq!(answer.branch().unwrap().line(), 9);
        // The cache is the parent's.
        assert!(script
            .find_proxy_traced(&"https://example.com/".parse().unwrap())
            .unwrap()
            .is_cached());
        // A script error is reported from the child, which goes on.
        let err = PacScript::new_isolated("function FindProxyForURL(", child()).unwrap_err();
        assert!(
            err.to_string().contains("the script failed to load"),
            "{err}"
        );
    }

    #[test]
    fn hostile_scripts_in_a_child_end_in_errors_and_the_child_restarts() {
        let script = PacScript::new_isolated(BY_HOST, child())
            .unwrap()
            .with_resolver(Table)
            .with_clock(morning());
        // The child keeps its state between calls.
        assert_eq!(script.call("http://a/", "a").unwrap(), "PROXY p.example:1");
        assert_eq!(script.call("http://a/", "a").unwrap(), "PROXY p.example:2");
        for (host, want) in [
            ("loop.example", "did not finish within 100 ms"),
            ("wedge.example", "did not finish within 100 ms"),
            ("bomb.example", "PAC script"),
        ] {
            let started = Instant::now();
            let err = script.call("http://x/", host).unwrap_err();
            let failed = started.elapsed();
            assert!(err.to_string().contains(want), "{host}: {err}");
            assert!(failed < Duration::from_secs(2), "{host}: {failed:?}");
            // A new child: the count starts again.
            let started = Instant::now();
            assert_eq!(
                script.call("http://b/", "b").unwrap(),
                "PROXY p.example:1",
                "after {host}"
            );
            eprintln!(
                "{host}: failed in {failed:?} ({err}); next call in {:?}",
                started.elapsed()
            );
        }
    }

    /// With the engine's own cap above it, the OS address-space cap stops
    /// an allocation bomb.
    #[cfg(unix)]
    #[test]
    fn the_os_memory_cap_stops_a_bomb_in_the_child() {
        let mut limits = PacLimits::default();
        limits.deadline = Duration::from_secs(10);
        limits.memory = 16 << 30;
        let script = PacScript::new_isolated(BY_HOST, child().address_space(512 << 20))
            .unwrap()
            .with_resolver(Table)
            .with_clock(morning())
            .with_limits(limits);
        let started = Instant::now();
        let err = script.call("http://x/", "huge.example").unwrap_err();
        let failed = started.elapsed();
        assert!(failed < Duration::from_secs(10), "{failed:?}");
        eprintln!("huge: failed in {failed:?}: {err}");
        // The engine's allocation failed at the OS cap, not its own.
        assert!(err.to_string().contains("ran out of memory"), "{err}");
        assert_eq!(script.call("http://b/", "b").unwrap(), "PROXY p.example:1");
    }

    /// A child that served calls and then dies (here at its 1 s CPU-time
    /// cap, with up to 0.6 s of work per call) is replaced, and the call
    /// asked again.
    #[cfg(unix)]
    #[test]
    fn a_child_at_its_cpu_cap_is_replaced_and_the_call_retried() {
        let busy = "var calls = 0; function FindProxyForURL(u, h) { calls++; var t = Date.now(); while (Date.now() - t < 600) {} return 'PROXY p:' + calls; }";
        let mut limits = PacLimits::default();
        limits.deadline = Duration::from_secs(5);
        let script = PacScript::new_isolated(busy, child().cpu_time(Duration::from_secs(1)))
            .unwrap()
            .with_limits(limits);
        // The work is wall-clock time, and the CPU share it gets depends on
        // the machine's load: some call crosses the cap, a fresh child
        // answers it (its count starts again), and no call fails.
        let restarted = |counts: &[String]| counts.iter().skip(1).any(|c| c == "PROXY p:1");
        let mut counts = Vec::new();
        while counts.len() < 10 && !restarted(&counts) {
            counts.push(script.call("http://a/", "a").unwrap());
        }
        assert!(restarted(&counts), "{counts:?}");
        assert_eq!(counts[0], "PROXY p:1");
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_does_not_answer_is_killed_at_the_deadline() {
        let silent = ChildProcess::new("/bin/sh").arg("-c").arg("exec sleep 30");
        let started = Instant::now();
        let limits = PacLimits::default().with_load(Duration::from_millis(300));
        let err = PacScript::builder(BY_HOST)
            .isolated(silent)
            .limits(limits)
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("did not load the script within 300 ms (the load budget); it was killed"),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let missing = ChildProcess::new("/nonexistent/program");
        let err = PacScript::new_isolated(BY_HOST, missing).unwrap_err();
        assert!(
            err.to_string().contains("the PAC child process failed"),
            "{err}"
        );
    }

    #[test]
    fn the_cli_isolates_with_pac_isolate() {
        let file = ScriptFile::new("isolate", BY_HOST);
        let (code, out, _) = run(&[
            "--pac",
            file.path(),
            "--pac-isolate",
            "http://loop.example/",
            "https://example.com/",
        ]);
        assert_eq!(code, 1);
        assert!(
            out.contains(
                "http://loop.example/\n  route:   none (custom:pac: the script did not finish within 100 ms)\n"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "https://example.com/\n  route:   http://p.example:1\n  source:  custom:pac (curl dialect)\n"
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"at line 10: return "PROXY p.example:" + calls;"#),
            "{out}"
        );
    }
}

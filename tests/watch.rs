//! The watcher (issue 17) with real parts: the real `gsettings` with the
//! keyfile backend in a temporary `XDG_CONFIG_HOME`, real `kioslaverc` files
//! edited, replaced by a rename, removed and recreated, a loopback HTTP server
//! serving a PAC script with `Cache-Control: max-age=1` and an `ETag`, and
//! hostile sources: a file flapping hundreds of times a second, a directory
//! replaced by a file, a rebuild that panics, a PAC server that hangs.
//!
//! Every wait is a poll with a deadline; no fixed sleep is an assertion.

#![cfg_attr(not(feature = "pac-fetch"), allow(dead_code, unused_imports))]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use proxyroute::system::{gnome, kde};
use proxyroute::watch::{Change, Inputs, Source, Watcher};
use proxyroute::{Error, Resolver, SharedResolver, Target};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

const DEADLINE: Duration = Duration::from_secs(15);

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "proxyroute-watch-{name}-{}-{nanos}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The route `url` takes through the shared resolver now.
fn route(shared: &SharedResolver, url: &str) -> String {
    let target: Target = url.parse().unwrap();
    let resolver = shared.load();
    let route = resolver.resolve(&target);
    if route.is_refused() {
        "refused".to_owned()
    } else {
        route.to_string()
    }
}

/// Waits until `url` routes to `want`, failing after [`DEADLINE`].
fn wait_for_route(shared: &SharedResolver, url: &str, want: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let got = route(shared, url);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url}: still {got} after {DEADLINE:?}, want {want}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The next reported change that satisfies `pred`, within [`DEADLINE`].
fn next_change(rx: &mpsc::Receiver<Change>, pred: impl Fn(&Change) -> bool) -> Change {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(c) if pred(&c) => return c,
            Ok(_) => {}
            Err(e) => panic!("no matching change within {DEADLINE:?}: {e}"),
        }
    }
}

/// Where a test's watcher reports (its changes, through `send_to`).
fn reports() -> (mpsc::Sender<Change>, mpsc::Receiver<Change>) {
    mpsc::channel()
}
fn fast(builder: proxyroute::watch::WatcherBuilder) -> proxyroute::watch::WatcherBuilder {
    builder
        .poll_interval(Duration::from_millis(20))
        .debounce(Duration::from_millis(30))
        .max_delay(Duration::from_millis(300))
}

// ===== GNOME: the real gsettings, keyfile backend =====

fn gsettings_found() -> bool {
    let found = Command::new("gsettings")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "gsettings is missing under CI=true: apt-get install libglib2.0-bin gsettings-desktop-schemas"
        );
        eprintln!("skipped: gsettings is not installed");
    }
    found
}

fn gsettings(home: &Path) -> Command {
    let mut c = Command::new("gsettings");
    c.env("GSETTINGS_BACKEND", "keyfile")
        .env("XDG_CONFIG_HOME", home);
    c
}

fn gset(home: &Path, schema: &str, key: &str, value: &str) {
    let status = gsettings(home)
        .args(["set", schema, key, value])
        .status()
        .unwrap();
    assert!(status.success(), "gsettings set {schema} {key} {value}");
}

#[test]
fn gsettings_keyfile_changes_are_followed() {
    if !gsettings_found() {
        return;
    }
    let home = temp_dir("gsettings");
    gset(&home, "org.gnome.system.proxy", "mode", "manual");
    gset(&home, "org.gnome.system.proxy.http", "host", "proxy-a.corp");
    gset(&home, "org.gnome.system.proxy.http", "port", "3128");
    gset(
        &home,
        "org.gnome.system.proxy.http",
        "use-authentication",
        "true",
    );
    gset(
        &home,
        "org.gnome.system.proxy.http",
        "authentication-user",
        "alice",
    );
    gset(
        &home,
        "org.gnome.system.proxy.http",
        "authentication-password",
        "s3cret-pw",
    );

    // The program's configuration: the GNOME settings, read with the real
    // gsettings (the same private backend).
    let rebuild_home = home.clone();
    let rebuild = move |_: &Inputs| -> Result<Resolver, Error> {
        let system = gnome_settings(&rebuild_home)?;
        Resolver::builder().system(system).build()
    };
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let lookup_home = home.clone();
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(Source::gnome_with(move |name| match name {
            "XDG_CONFIG_HOME" => Some(lookup_home.display().to_string()),
            "GSETTINGS_BACKEND" => Some("keyfile".to_owned()),
            _ => None,
        }))
        .send_to(report)
        .start()
        .unwrap();
    assert_eq!(
        route(&shared, "http://example.com/"),
        "http://alice:***@proxy-a.corp:3128"
    );

    gset(&home, "org.gnome.system.proxy.http", "host", "proxy-b.corp");
    wait_for_route(
        &shared,
        "http://example.com/",
        "http://alice:***@proxy-b.corp:3128",
    );
    let change = next_change(&changes, |c| c.result().is_ok());
    let source = &change.sources()[0];
    assert_eq!(source.source(), "gnome");
    assert!(
        source
            .before()
            .contains("gnome manual; http http://alice:***@proxy-a.corp:3128"),
        "{change}"
    );
    assert!(
        source
            .after()
            .contains("http http://alice:***@proxy-b.corp:3128"),
        "{change}"
    );
    assert!(
        !format!("{change} {change:?}").contains("s3cret"),
        "{change}"
    );

    // Another key: the mode. DIRECT now, because the settings say so.
    gset(&home, "org.gnome.system.proxy", "mode", "none");
    wait_for_route(&shared, "http://example.com/", "DIRECT");
    let change = next_change(&changes, |c| c.result().is_ok());
    assert!(change.to_string().contains("-> gnome direct"), "{change}");
    assert!(watcher.rebuilds() >= 3);
    drop(watcher);
    let _ = std::fs::remove_dir_all(&home);
}

/// A private D-Bus session bus, so that `gsettings` reaches a dconf service
/// of its own that writes `$XDG_CONFIG_HOME/dconf/user` under a temporary
/// directory. Killed (by its process handle) when dropped; the dconf service
/// it started exits with the bus.
struct DbusSession {
    child: std::process::Child,
    address: String,
    env: Vec<(String, String)>,
}

impl DbusSession {
    /// `None` (a notice) when dbus-daemon or dconf-service is missing
    /// locally; under `CI=true` that fails.
    fn start(root: &Path) -> Option<Self> {
        let dconf = ["/usr/libexec/dconf-service", "/usr/lib/dconf/dconf-service"]
            .iter()
            .any(|p| Path::new(p).exists());
        let daemon = Command::new("dbus-daemon")
            .arg("--version")
            .output()
            .is_ok();
        if !(dconf && daemon) {
            assert!(
                std::env::var("CI").is_err(),
                "dbus-daemon or dconf-service is missing under CI=true: bash .ci/install-watch.sh"
            );
            eprintln!("skipped: dbus-daemon or dconf-service is not installed");
            return None;
        }
        let runtime = root.join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let env = vec![
            (
                "XDG_CONFIG_HOME".to_owned(),
                root.join("config").display().to_string(),
            ),
            ("XDG_RUNTIME_DIR".to_owned(), runtime.display().to_string()),
            ("HOME".to_owned(), root.display().to_string()),
            ("GSETTINGS_BACKEND".to_owned(), "dconf".to_owned()),
        ];
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        let mut env = env;
        env.push(("DBUS_SESSION_BUS_ADDRESS".to_owned(), address.clone()));
        Some(DbusSession {
            child,
            address,
            env,
        })
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<String> + 'static {
        let env = self.env.clone();
        move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

impl Drop for DbusSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The dconf backend through a private session bus: `gsettings set` goes to
/// the dconf service, which rewrites `$XDG_CONFIG_HOME/dconf/user`; the
/// watcher follows that file.
#[test]
fn gsettings_dconf_changes_are_followed() {
    if !gsettings_found() {
        return;
    }
    let root = temp_dir("dconf");
    let Some(bus) = DbusSession::start(&root) else {
        return;
    };
    let gset = |key: &str, schema: &str, value: &str| {
        let status = bus
            .command("gsettings")
            .args(["set", schema, key, value])
            .status()
            .unwrap();
        assert!(
            status.success(),
            "gsettings set {schema} {key} {value} via {}",
            bus.address
        );
    };
    gset("mode", "org.gnome.system.proxy", "manual");
    gset("host", "org.gnome.system.proxy.http", "dconf-a.corp");
    gset("port", "org.gnome.system.proxy.http", "3128");
    let read_env = bus.env.clone();
    let rebuild = move |_: &Inputs| -> Result<Resolver, Error> {
        let out = Command::new("gsettings")
            .envs(read_env.iter().map(|(k, v)| (k, v)))
            .args(["list-recursively", gnome::SCHEMA])
            .output()
            .expect("gsettings runs");
        assert!(out.status.success());
        let system = gnome::parse(&String::from_utf8(out.stdout).unwrap());
        Resolver::builder().system(system).build()
    };
    let source = Source::gnome_with(bus.lookup());
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(source)
        .send_to(report)
        .start()
        .unwrap();
    let url = "http://example.com/";
    assert_eq!(route(&shared, url), "http://dconf-a.corp:3128");
    assert!(
        root.join("config/dconf/user").is_file(),
        "dconf wrote no database"
    );

    gset("host", "org.gnome.system.proxy.http", "dconf-b.corp");
    wait_for_route(&shared, url, "http://dconf-b.corp:3128");
    let c = next_change(&changes, |c| c.result().is_ok());
    assert!(
        c.to_string()
            .contains("gnome changed: gnome manual; http http://dconf-a.corp:3128"),
        "{c}"
    );
    drop(watcher);
    drop(bus);
    let _ = std::fs::remove_dir_all(&root);
}

/// The GNOME settings in the private keyfile backend under `home`, read
/// with the real `gsettings`.
fn gnome_settings(home: &Path) -> Result<proxyroute::system::SystemProxies, Error> {
    let out = gsettings(home)
        .args(["list-recursively", gnome::SCHEMA])
        .output()
        .expect("gsettings runs");
    assert!(out.status.success());
    Ok(gnome::parse(&String::from_utf8(out.stdout).unwrap()))
}

// ===== KDE: real kioslaverc files over the XDG cascade =====

fn kioslaverc(proxy: &str) -> String {
    format!("[Proxy Settings]\nProxyType=1\nhttpProxy={proxy}\n")
}

/// The program's KDE configuration: every kioslaverc of the cascade, read
/// now; a file that exists but cannot be read fails the rebuild.
fn kde_settings(files: &[PathBuf]) -> Result<proxyroute::system::SystemProxies, Error> {
    let mut texts = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(t) => texts.push((f.display().to_string(), t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                // Any error of the crate's kind will do to fail the rebuild.
                return Err(format!("kde {}: {e}", f.display())
                    .parse::<proxyroute::Proxy>()
                    .unwrap_err());
            }
        }
    }
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Ok(kde::parse(&refs, |_| None))
}

#[test]
fn kioslaverc_cascade_edits_renames_removals_and_a_directory_turned_file() {
    let root = temp_dir("kde");
    let etc = root.join("etc");
    let home = root.join("home");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        etc.join("kioslaverc"),
        kioslaverc("http://system-proxy 3128"),
    )
    .unwrap();
    let files = vec![etc.join("kioslaverc"), home.join("kioslaverc")];
    let rebuild_files = files.clone();
    let rebuild = move |_: &Inputs| {
        Resolver::builder()
            .system(kde_settings(&rebuild_files)?)
            .build()
    };
    let (etc_s, home_s) = (etc.display().to_string(), home.display().to_string());
    let source = Source::kde_with(move |name| match name {
        "XDG_CONFIG_DIRS" => Some(etc_s.clone()),
        "XDG_CONFIG_HOME" => Some(home_s.clone()),
        _ => None,
    });
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(source)
        .send_to(report)
        .start()
        .unwrap();
    let url = "http://example.com/";
    assert_eq!(route(&shared, url), "http://system-proxy:3128");

    let user = home.join("kioslaverc");
    // Created: the user's file overrides the system's.
    std::fs::write(&user, kioslaverc("http://user-a 8080")).unwrap();
    wait_for_route(&shared, url, "http://user-a:8080");
    // Edited in place.
    std::fs::write(&user, kioslaverc("http://bob:pw-secret@user-b 8080")).unwrap();
    wait_for_route(&shared, url, "http://bob:***@user-b:8080");
    // Replaced atomically: written aside, renamed over.
    let aside = home.join(".kioslaverc.new");
    std::fs::write(&aside, kioslaverc("http://user-c 8080")).unwrap();
    std::fs::rename(&aside, &user).unwrap();
    wait_for_route(&shared, url, "http://user-c:8080");
    // Removed: the system's file decides again.
    std::fs::remove_file(&user).unwrap();
    wait_for_route(&shared, url, "http://system-proxy:3128");
    // Recreated.
    std::fs::write(&user, kioslaverc("http://user-d 8080")).unwrap();
    wait_for_route(&shared, url, "http://user-d:8080");
    let change = next_change(&changes, |c| {
        c.result().is_ok() && c.to_string().contains("user-d")
    });
    assert!(
        change
            .to_string()
            .contains("kde changed: kde manual; http http://system-proxy:3128"),
        "{change}"
    );
    let json: serde_json::Value = serde_json::from_str(&change.to_json()).unwrap();
    assert_eq!(json["generation"], shared.generation());
    assert_eq!(json["sources"][0]["source"], "kde");
    assert_eq!(json["change"], change.to_string());

    // The user's config directory is replaced by a file: the cascade cannot
    // be read, the rebuild fails, the last good resolver stays.
    std::fs::remove_dir_all(&home).unwrap();
    std::fs::write(&home, "not a directory").unwrap();
    let failed = next_change(&changes, |c| c.result().is_err());
    assert!(
        failed.to_string().contains("the last good resolver stays"),
        "{failed}"
    );
    assert_eq!(route(&shared, url), "http://user-d:8080");
    // And back.
    std::fs::remove_file(&home).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(&user, kioslaverc("http://user-e 8080")).unwrap();
    wait_for_route(&shared, url, "http://user-e:8080");

    // No report ever holds the password.
    drop(watcher);
    while let Ok(c) = changes.try_recv() {
        assert!(!format!("{c} {c:?}").contains("pw-secret"), "{c}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

// ===== hostile files =====

/// A rebuild from a file holding one proxy URL, counted.
fn file_rebuild(
    path: &Path,
    count: &Arc<AtomicUsize>,
) -> impl Fn(&Inputs) -> Result<Resolver, Error> + Send + 'static {
    let path = path.to_owned();
    let count = Arc::clone(count);
    move |_| {
        count.fetch_add(1, Ordering::SeqCst);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.trim() == "panic" {
            panic!("the caller's rebuild panicked");
        }
        Resolver::builder().proxy(text.trim()).build()
    }
}

#[test]
fn a_file_flapping_hundreds_of_times_a_second_rebuilds_a_bounded_number_of_times() {
    let dir = temp_dir("flap");
    let file = dir.join("proxy.txt");
    std::fs::write(&file, "http://start:1").unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(
        shared.clone(),
        file_rebuild(&file, &count),
    ))
    .watch(Source::file(&file))
    .send_to(report)
    .start()
    .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let started = Instant::now();
    let mut writes = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        // Plain writes truncate first: the watcher may see a half-written file.
        let text = if writes % 2 == 0 {
            "http://a:1"
        } else {
            "http://b:2"
        };
        std::fs::write(&file, text).unwrap();
        writes += 1;
        std::thread::sleep(Duration::from_micros(500));
    }
    let flapped = started.elapsed();
    std::fs::write(&file, "http://settled:3").unwrap();
    wait_for_route(&shared, "http://example.com/", "http://settled:3");
    let rebuilds = count.load(Ordering::SeqCst) - 1;
    let per_second = writes as f64 / flapped.as_secs_f64();
    assert!(per_second > 100.0, "only {per_second:.0} writes a second");
    // At most one rebuild per max_delay (300 ms) while it flaps, plus the
    // settling one and slack for a slow machine.
    let bound = (flapped.as_millis() / 300) as usize + 3;
    assert!(
        rebuilds <= bound,
        "{rebuilds} rebuilds for {writes} writes in {flapped:?} (bound {bound})"
    );
    assert!(rebuilds >= 2, "the maximum delay never fired: {rebuilds}");
    eprintln!("{rebuilds} rebuilds for {writes} writes in {flapped:?}");
    assert_eq!(watcher.rebuilds() as usize, rebuilds + 1);
    drop(watcher);
    drop(changes);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_or_panicking_rebuild_keeps_the_last_good_resolver() {
    let dir = temp_dir("panic");
    let file = dir.join("proxy.txt");
    std::fs::write(&file, "http://good:1").unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(
        shared.clone(),
        file_rebuild(&file, &count),
    ))
    .watch(Source::file(&file))
    .send_to(report)
    .start()
    .unwrap();
    let url = "http://example.com/";
    assert_eq!(route(&shared, url), "http://good:1");
    let generation = shared.generation();

    std::fs::write(&file, "panic").unwrap();
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(c.to_string().contains("the rebuild panicked"), "{c}");
    assert_eq!(route(&shared, url), "http://good:1");

    std::fs::write(&file, "http://u:hunter2@bad host:1").unwrap();
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(
        c.to_string().contains("the last good resolver stays"),
        "{c}"
    );
    assert!(
        !format!("{c} {c:?} {}", c.to_json()).contains("hunter2"),
        "{c}"
    );
    let json: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(
        json["sources"][0]["source"],
        format!("file:{}", file.display())
    );
    assert!(
        json["error"].as_str().unwrap().contains("u:***@bad host"),
        "{json}"
    );
    assert!(json.get("generation").is_none(), "{json}");
    assert_eq!(route(&shared, url), "http://good:1");

    std::fs::remove_file(&file).unwrap();
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(c.sources()[0].after().contains("No such file"), "{c}");
    assert_eq!(route(&shared, url), "http://good:1");
    assert_eq!(shared.generation(), generation, "nothing was swapped in");

    // The file turned into a directory: unreadable, kept.
    std::fs::create_dir(&file).unwrap();
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(
        c.to_string().contains("the last good resolver stays"),
        "{c}"
    );
    assert_eq!(route(&shared, url), "http://good:1");
    std::fs::remove_dir(&file).unwrap();

    // The thread survived: a good file is followed again.
    std::fs::write(&file, "http://good:2").unwrap();
    wait_for_route(&shared, url, "http://good:2");
    drop(watcher);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_first_rebuild_that_fails_starts_nothing() {
    let shared = SharedResolver::new(Resolver::builder().proxy("http://kept:1").build().unwrap());
    let err = Watcher::builder(shared.clone(), |_: &Inputs| {
        Resolver::builder().proxy("not a proxy").build()
    })
    .start()
    .unwrap_err();
    assert!(err.to_string().contains("not a proxy"), "{err}");
    assert_eq!(route(&shared, "http://x/"), "http://kept:1");
    assert_eq!(shared.generation(), 0);
}

#[test]
fn dropping_the_watcher_stops_its_thread_promptly() {
    let dir = temp_dir("drop");
    let file = dir.join("proxy.txt");
    std::fs::write(&file, "http://a:1").unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let watcher = Watcher::builder(shared.clone(), file_rebuild(&file, &count))
        .watch(Source::file(&file))
        .poll_interval(Duration::from_secs(3600))
        .start()
        .unwrap();
    let started = Instant::now();
    assert!(
        watcher.stop(),
        "the thread did not end within the stop timeout"
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // Nothing follows the file any more.
    std::fs::write(&file, "http://b:2").unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(route(&shared, "http://x/"), "http://a:1");
}

// ===== PAC: a loopback server with max-age=1 and an ETag =====

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Serve,
    Fail,
    Hang,
}

struct PacState {
    script: String,
    etag: String,
    mode: Mode,
    /// The status of every answer sent (0 for a hang).
    sent: Vec<u16>,
}

/// A PAC server on 127.0.0.1: `Cache-Control: max-age=1`, an `ETag`, `304`
/// for a matching `If-None-Match`, and modes that fail (500) or hang.
struct PacServer {
    url: String,
    state: Arc<Mutex<PacState>>,
}

impl PacServer {
    fn start(script: &str, etag: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/proxy.pac", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(PacState {
            script: script.to_owned(),
            etag: etag.to_owned(),
            mode: Mode::Serve,
            sent: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        PacServer { url, state }
    }

    fn set(&self, f: impl FnOnce(&mut PacState)) {
        f(&mut self.state.lock().unwrap());
    }

    fn sent(&self) -> Vec<u16> {
        self.state.lock().unwrap().sent.clone()
    }

    /// Waits until the server has sent `status` after the first `skip` answers.
    fn wait_for(&self, status: u16, skip: usize) {
        let deadline = Instant::now() + DEADLINE;
        while !self.sent().iter().skip(skip).any(|s| *s == status) {
            assert!(
                Instant::now() < deadline,
                "no {status} sent: {:?}",
                self.sent()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<PacState>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_owned());
            }
        }
    }
    let (mode, script, etag) = {
        let s = state.lock().unwrap();
        (s.mode, s.script.clone(), s.etag.clone())
    };
    let mut stream = stream;
    let (status, response) = match mode {
        Mode::Hang => {
            state.lock().unwrap().sent.push(0);
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        Mode::Fail => (
            500,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_owned(),
        ),
        Mode::Serve if if_none_match.as_deref() == Some(etag.as_str()) => (
            304,
            format!(
                "HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=1\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
            ),
        ),
        Mode::Serve => (
            200,
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-ns-proxy-autoconfig\r\n\
                 Cache-Control: max-age=1\r\nETag: {etag}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{script}",
                script.len()
            ),
        ),
    };
    let _ = stream.write_all(response.as_bytes());
    state.lock().unwrap().sent.push(status);
}

fn pac_script(proxy: &str) -> String {
    format!("function FindProxyForURL(url, host) {{ return \"PROXY {proxy}\"; }}")
}

#[cfg(feature = "pac-fetch")]
#[test]
fn a_pac_script_is_refetched_when_stale_304_keeps_it_500_and_hangs_keep_the_last_good_one() {
    use proxyroute::pac::fetch::Fetcher;
    use proxyroute::pac::PacScript;
    use proxyroute::watch::PacPolicy;

    let server = PacServer::start(&pac_script("a.corp:1"), "\"v1\"");
    let url = server.url.clone();
    let rebuild_url = url.clone();
    let rebuild = move |inputs: &Inputs| {
        let script = PacScript::new(inputs.pac(&rebuild_url)?)?;
        Resolver::builder().pac(script).build()
    };
    let policy = PacPolicy::new(&url)
        .floor(Duration::from_millis(200))
        .fetcher(Fetcher::new().timeout(Duration::from_millis(700)));
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(Source::pac_with(policy))
        .send_to(report)
        .start()
        .unwrap();
    let target = "http://example.com/";
    assert_eq!(route(&shared, target), "http://a.corp:1");
    assert_eq!(server.sent(), [200]);

    // max-age=1: asked again after a second, conditionally; 304 keeps it.
    server.wait_for(304, 1);
    assert_eq!(route(&shared, target), "http://a.corp:1");
    let generation = shared.generation();
    assert_eq!(generation, 1, "a 304 swaps nothing in");

    // The script changes: the route follows.
    server.set(|s| {
        s.script = pac_script("b.corp:2");
        s.etag = "\"v2\"".to_owned();
    });
    wait_for_route(&shared, target, "http://b.corp:2");
    let c = next_change(&changes, |c| c.result().is_ok());
    assert_eq!(c.sources()[0].source(), format!("pac:{url}"));
    assert!(c.sources()[0].before().contains("ETag \"v1\""), "{c}");
    assert!(c.sources()[0].after().contains("ETag \"v2\""), "{c}");

    // A 500 keeps the last good script.
    let before = server.sent().len();
    server.set(|s| s.mode = Mode::Fail);
    server.wait_for(500, before);
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(c.to_string().contains("http status: 500"), "{c}");
    assert!(
        c.to_string().contains("the last good resolver stays"),
        "{c}"
    );
    assert_eq!(route(&shared, target), "http://b.corp:2");

    // A server that hangs: the fetch gives up at its timeout, the script stays.
    let before = server.sent().len();
    server.set(|s| s.mode = Mode::Hang);
    server.wait_for(0, before);
    let hung = Instant::now();
    let c = next_change(&changes, |c| {
        c.result().is_err() && !c.to_string().contains("500")
    });
    assert!(
        hung.elapsed() < Duration::from_secs(3),
        "the hanging fetch took {:?}",
        hung.elapsed()
    );
    assert!(c.to_string().contains("PAC URL"), "{c}");
    assert_eq!(route(&shared, target), "http://b.corp:2");

    // Stopping while a fetch hangs is bounded by the fetch timeout.
    server.wait_for(0, server.sent().len());
    let stopping = Instant::now();
    assert!(watcher.stop());
    assert!(
        stopping.elapsed() < Duration::from_millis(1500),
        "{:?}",
        stopping.elapsed()
    );
}

#[cfg(feature = "pac-fetch")]
#[test]
fn a_system_setting_that_names_a_pac_url_has_it_fetched_and_followed() {
    use proxyroute::pac::PacScript;
    use proxyroute::system::SystemMode;
    use proxyroute::watch::PacPolicy;

    let server = PacServer::start(&pac_script("from-pac:8080"), "\"p1\"");
    let root = temp_dir("kde-pac");
    let file = root.join("kioslaverc");
    std::fs::write(&file, kioslaverc("http://manual 3128")).unwrap();
    let files = vec![file.clone()];
    // The program's configuration: KDE's settings, with the script they
    // name as the watcher holds it.
    let rebuild = move |inputs: &Inputs| {
        let system = kde_settings(&files)?;
        let builder = match system.mode() {
            SystemMode::AutoConfig(url) => {
                Resolver::builder().system_pac(PacScript::new(inputs.pac(url)?)?)
            }
            _ => Resolver::builder(),
        };
        builder.system(system).build()
    };
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let home = root.display().to_string();
    let _watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(Source::kde_with(move |name| {
            (name == "XDG_CONFIG_HOME").then(|| home.clone())
        }))
        .named_pac_policy(PacPolicy::new("").floor(Duration::from_millis(200)))
        .send_to(report)
        .start()
        .unwrap();
    let target = "http://example.com/";
    assert_eq!(route(&shared, target), "http://manual:3128");
    assert!(server.sent().is_empty(), "nothing named the script yet");

    // The settings now name the script: it is fetched, and it decides.
    std::fs::write(
        &file,
        format!(
            "[Proxy Settings]\nProxyType=2\nProxy Config Script={}\n",
            server.url
        ),
    )
    .unwrap();
    wait_for_route(&shared, target, "http://from-pac:8080");
    let c = next_change(&changes, |c| c.result().is_ok());
    let pac = c
        .sources()
        .iter()
        .find(|s| s.source().starts_with("pac:"))
        .unwrap_or_else(|| panic!("no PAC change in {c}"));
    assert!(pac.before().contains("no script held"), "{c}");
    assert!(pac.after().contains("ETag \"p1\""), "{c}");
    // And it is followed: a new version is fetched when the old one is stale.
    server.set(|s| {
        s.script = pac_script("from-pac-v2:8080");
        s.etag = "\"p2\"".to_owned();
    });
    wait_for_route(&shared, target, "http://from-pac-v2:8080");
    let _ = std::fs::remove_dir_all(&root);
}

/// On Linux, inotify wakes the watcher: with an hour between polls, a file
/// created in a directory that did not exist, then edited and replaced, is
/// still followed at once.
#[cfg(target_os = "linux")]
#[test]
fn inotify_wakes_the_watcher_long_before_the_next_poll() {
    let root = temp_dir("inotify");
    let file = root.join("later").join("proxy.txt");
    let path = file.clone();
    let rebuild = move |_: &Inputs| {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "http://none:1".to_owned());
        Resolver::builder().proxy(text.trim()).build()
    };
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let watcher = Watcher::builder(shared.clone(), rebuild)
        .watch(Source::file(&file))
        .poll_interval(Duration::from_secs(3600))
        .debounce(Duration::from_millis(30))
        .start()
        .unwrap();
    let url = "http://example.com/";
    assert_eq!(route(&shared, url), "http://none:1");
    std::fs::create_dir(root.join("later")).unwrap();
    std::fs::write(&file, "http://created:1").unwrap();
    wait_for_route(&shared, url, "http://created:1");
    std::fs::write(&file, "http://edited:2").unwrap();
    wait_for_route(&shared, url, "http://edited:2");
    let aside = root.join("later").join("proxy.txt.tmp");
    std::fs::write(&aside, "http://renamed:3").unwrap();
    std::fs::rename(&aside, &file).unwrap();
    wait_for_route(&shared, url, "http://renamed:3");
    drop(watcher);
    let _ = std::fs::remove_dir_all(&root);
}

/// WPAD is searched again on a period: a new script at the WPAD URL is
/// followed; a search that finds nothing keeps the script found before.
#[cfg(feature = "pac-fetch")]
#[test]
fn wpad_is_searched_again_on_a_period() {
    use proxyroute::pac::wpad::Wpad;
    use proxyroute::pac::{HostResolver, PacScript};

    struct Wpad127;
    impl HostResolver for Wpad127 {
        fn resolve(&self, host: &str) -> Vec<std::net::IpAddr> {
            match host {
                "wpad" => vec![std::net::Ipv4Addr::LOCALHOST.into()],
                _ => Vec::new(),
            }
        }
    }

    let server = PacServer::start(&pac_script("wpad-a:1"), "\"w1\"");
    let port: u16 = server
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let wpad = Wpad::new().with_resolver(Wpad127).with_port(port);
    let rebuild = |inputs: &Inputs| {
        let found = inputs.wpad()?;
        Resolver::builder()
            .pac(PacScript::new(&found.script)?)
            .build()
    };
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let _watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(Source::wpad(wpad, Duration::from_secs(1)))
        .send_to(report)
        .start()
        .unwrap();
    let target = "http://example.com/";
    assert_eq!(route(&shared, target), "http://wpad-a:1");

    server.set(|s| s.script = pac_script("wpad-b:2"));
    wait_for_route(&shared, target, "http://wpad-b:2");
    let c = next_change(&changes, |c| c.result().is_ok());
    assert_eq!(c.sources()[0].source(), "wpad");
    assert!(
        c.sources()[0]
            .before()
            .starts_with(&format!("WPAD http://wpad:{port}/wpad.dat")),
        "{c}"
    );

    let before = server.sent().len();
    server.set(|s| s.mode = Mode::Fail);
    server.wait_for(500, before);
    let c = next_change(&changes, |c| c.result().is_err());
    assert!(c.to_string().contains("(search failed)"), "{c}");
    assert_eq!(route(&shared, target), "http://wpad-b:2");
}

/// Readers resolving in a loop while the watcher swaps resolvers (a file
/// flipping between two configurations): every guard answers all URLs from
/// one configuration or the other, and the read path allocates nothing.
#[test]
fn readers_racing_the_watcher_see_whole_configurations_without_allocating() {
    use std::sync::atomic::AtomicBool;

    const A: &str = "http://proxy-a:1 localhost,.corp";
    const B: &str = "socks5h://proxy-b:2 example.com";
    const URLS: &[&str] = &[
        "http://example.com/",
        "https://wiki.corp/",
        "http://localhost/",
        "https://crates.io/",
    ];
    let build = |text: &str| {
        let (proxy, bypass) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        Resolver::builder().proxy(proxy).bypass(bypass).build()
    };
    let answers = |r: &Resolver| -> Vec<String> {
        URLS.iter()
            .map(|u| r.resolve(&u.parse().unwrap()).to_string())
            .collect()
    };
    let (want_a, want_b) = (answers(&build(A).unwrap()), answers(&build(B).unwrap()));
    assert_ne!(want_a, want_b);

    let dir = temp_dir("readers");
    let file = dir.join("proxy.txt");
    std::fs::write(&file, A).unwrap();
    let path = file.clone();
    let rebuild = move |_: &Inputs| build(&std::fs::read_to_string(&path).unwrap_or_default());
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let watcher = Watcher::builder(shared.clone(), rebuild)
        .watch(Source::file(&file))
        .poll_interval(Duration::from_millis(5))
        .debounce(Duration::from_millis(1))
        .start()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (shared, stop) = (shared.clone(), Arc::clone(&stop));
            let (want_a, want_b) = (want_a.clone(), want_b.clone());
            std::thread::spawn(move || {
                let targets: Vec<Target> = URLS.iter().map(|u| u.parse().unwrap()).collect();
                let _ = shared.load().resolve(&targets[0]); // registers the thread
                let (mut allocated, mut generations) = (0, std::collections::BTreeSet::new());
                while !stop.load(Ordering::Relaxed) {
                    let resolver = shared.load();
                    generations.insert(resolver.generation());
                    let mut got = Vec::with_capacity(targets.len());
                    for t in &targets {
                        allocated += counting_alloc::allocations_during(|| {
                            std::hint::black_box(resolver.resolve(t).first());
                        });
                        got.push(resolver.resolve(t).to_string());
                    }
                    assert!(got == want_a || got == want_b, "torn: {got:?}");
                }
                (allocated, generations.len())
            })
        })
        .collect();
    let flips = 40;
    for i in 0..flips {
        let (text, want) = if i % 2 == 0 {
            (B, &want_b)
        } else {
            (A, &want_a)
        };
        std::fs::write(&file, text).unwrap();
        // Each configuration is followed before the next write.
        let deadline = Instant::now() + DEADLINE;
        while &answers(&shared.load()) != want {
            assert!(Instant::now() < deadline, "flip {i} not followed");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        let (allocated, generations) = reader.join().unwrap();
        assert_eq!(allocated, 0, "the read path allocated");
        assert!(generations > 1, "the reader saw no swap");
    }
    assert!(watcher.rebuilds() > flips);
    drop(watcher);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sysconfig_file_is_followed() {
    let dir = temp_dir("sysconfig");
    let file = dir.join("proxy");
    let text = |proxy: &str, enabled: &str| {
        format!("PROXY_ENABLED=\"{enabled}\"\nHTTP_PROXY=\"{proxy}\"\nNO_PROXY=\"localhost\"\n")
    };
    std::fs::write(&file, text("http://sys-a:3128", "yes")).unwrap();
    let path = file.clone();
    let rebuild = move |_: &Inputs| {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let system = proxyroute::system::sysconfig::parse(&text, &path.display().to_string());
        Resolver::builder().system(system).build()
    };
    let shared = SharedResolver::new(Resolver::builder().build().unwrap());
    let (report, changes) = reports();
    let _watcher = fast(Watcher::builder(shared.clone(), rebuild))
        .watch(Source::sysconfig_at(&file))
        .send_to(report)
        .start()
        .unwrap();
    let url = "http://example.com/";
    assert_eq!(route(&shared, url), "http://sys-a:3128");
    std::fs::write(&file, text("http://sys-b:3128", "yes")).unwrap();
    wait_for_route(&shared, url, "http://sys-b:3128");
    let c = next_change(&changes, |c| c.result().is_ok());
    let label = format!("sysconfig:{}", file.display());
    assert_eq!(c.sources()[0].source(), label);
    assert!(
        c.sources()[0]
            .before()
            .starts_with("sysconfig manual; http http://sys-a:3128"),
        "{c}"
    );
    assert!(c.sources()[0].after().ends_with("bypass localhost"), "{c}");
    // Switched off: DIRECT, because the settings say so.
    std::fs::write(&file, text("http://sys-b:3128", "no")).unwrap();
    wait_for_route(&shared, url, "DIRECT");
    let c = next_change(&changes, |c| c.result().is_ok());
    assert_eq!(c.sources()[0].after(), "sysconfig direct", "{c}");
    let _ = std::fs::remove_dir_all(&dir);
}

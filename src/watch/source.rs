//! What a [`Watcher`](super::Watcher) follows: [`Source`], the files and
//! commands each source is checked through, and the summary of the settings
//! each holds.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::redact;
use crate::system::{gnome, kde, macos, sysconfig, SystemMode, SystemProxies};

/// The largest file whose content is hashed on each check; larger files are
/// compared by length and modification time.
const HASHED_BYTES: u64 = 4 << 20;

/// The time a command run for a check or a summary may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// A place where proxy settings live, for a [`Watcher`](super::Watcher) to
/// follow. Each is checked on every poll (files: their existence, type,
/// length and content; commands: their output) and summarised, passwords
/// as `***`, when it changes.
#[derive(Clone, Debug)]
pub struct Source {
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// GNOME: the dconf database and the keyfile backend's file under
    /// `config_home`; summarised through `gsettings` run with `env`.
    Gnome {
        config_home: PathBuf,
        env: Vec<(String, String)>,
    },
    /// KDE: every `kioslaverc` of the cascade (lowest priority first).
    Kde {
        files: Vec<PathBuf>,
        env: Vec<(String, String)>,
    },
    /// SUSE's sysconfig file.
    Sysconfig(PathBuf),
    /// A file of the application's.
    File(PathBuf),
    /// macOS: `scutil --proxy`, polled.
    Macos,
    /// Windows: the Internet Settings key.
    Windows,
    /// A PAC script's URL, fetched again when its freshness expires.
    #[cfg(feature = "pac-fetch")]
    Pac(super::pac::PacPolicy),
    /// A WPAD search, run again every period.
    #[cfg(feature = "pac-fetch")]
    Wpad(crate::pac::wpad::Wpad, Duration),
}

/// The variables a source's reader consults, read through `lookup`.
fn vars(lookup: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|n| lookup(n).map(|v| ((*n).to_owned(), v)))
        .collect()
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn config_home(env: &[(String, String)]) -> PathBuf {
    var(env, "XDG_CONFIG_HOME").map_or_else(
        || PathBuf::from(var(env, "HOME").unwrap_or("/")).join(".config"),
        PathBuf::from,
    )
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Source {
    /// GNOME's proxy settings of the user the process runs as (see
    /// [`gnome_with`](Source::gnome_with)).
    pub fn gnome() -> Self {
        Source::gnome_with(process_env)
    }

    /// GNOME's proxy settings, with the environment seen through `lookup`
    /// (`XDG_CONFIG_HOME`, `HOME`, `GSETTINGS_BACKEND`, and for the dconf
    /// backend `DBUS_SESSION_BUS_ADDRESS` and `XDG_RUNTIME_DIR`). The watcher follows
    /// the dconf database `$XDG_CONFIG_HOME/dconf/user` (where `dconf`
    /// writes every change) and, for the keyfile backend, the file
    /// `$XDG_CONFIG_HOME/glib-2.0/settings/keyfile`; a change is summarised
    /// from `gsettings list-recursively org.gnome.system.proxy`, run with
    /// those variables.
    pub fn gnome_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let env = vars(
            &lookup,
            &[
                "XDG_CONFIG_HOME",
                "HOME",
                "GSETTINGS_BACKEND",
                "DBUS_SESSION_BUS_ADDRESS",
                "XDG_RUNTIME_DIR",
            ],
        );
        Source {
            kind: Kind::Gnome {
                config_home: config_home(&env),
                env,
            },
        }
    }

    /// KDE's `kioslaverc` files of the user the process runs as (see
    /// [`kde_with`](Source::kde_with)).
    pub fn kde() -> Self {
        Source::kde_with(process_env)
    }

    /// KDE's settings: every `kioslaverc` of the XDG cascade
    /// (`XDG_CONFIG_DIRS`, default `/etc/xdg`, then `XDG_CONFIG_HOME`,
    /// default `~/.config`), with the environment seen through `lookup`.
    /// Each file may be created, changed, replaced or removed.
    pub fn kde_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let env = vars(&lookup, &["XDG_CONFIG_DIRS", "XDG_CONFIG_HOME", "HOME"]);
        let dirs = var(&env, "XDG_CONFIG_DIRS").unwrap_or("/etc/xdg");
        let mut files: Vec<PathBuf> = dirs
            .split(':')
            .filter(|d| !d.is_empty())
            .rev()
            .map(|d| Path::new(d).join("kioslaverc"))
            .collect();
        if var(&env, "XDG_CONFIG_HOME").is_some() || var(&env, "HOME").is_some() {
            files.push(config_home(&env).join("kioslaverc"));
        }
        Source {
            kind: Kind::Kde { files, env },
        }
    }

    /// The store the running desktop uses, as
    /// [`system::from_system`](crate::system::from_system) picks it (see
    /// [`system_with`](Source::system_with)).
    pub fn system() -> Option<Self> {
        Source::system_with(process_env)
    }

    /// The store [`system::from_system_with`](crate::system::from_system_with)
    /// would read, with the environment seen through `lookup`: Windows and
    /// macOS on those systems; on others GNOME (and the desktops built on
    /// it) or KDE by `XDG_CURRENT_DESKTOP`, else `/etc/sysconfig/proxy` when
    /// it exists. `None`: no store applies. Unlike the readers, it needs no
    /// feature: watching is only reading files and running `gsettings` or
    /// `scutil` for the summary.
    pub fn system_with(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        if cfg!(windows) {
            return Some(Source::windows());
        }
        if cfg!(target_os = "macos") {
            return Some(Source::macos());
        }
        let desktop = lookup("XDG_CURRENT_DESKTOP")
            .unwrap_or_default()
            .to_ascii_uppercase();
        let is = |names: &[&str]| desktop.split(':').any(|d| names.contains(&d));
        if is(&[
            "GNOME",
            "UNITY",
            "CINNAMON",
            "X-CINNAMON",
            "MATE",
            "PANTHEON",
            "BUDGIE",
        ]) {
            return Some(Source::gnome_with(lookup));
        }
        if is(&["KDE"]) {
            return Some(Source::kde_with(lookup));
        }
        Path::new(sysconfig::PATH).exists().then(Source::sysconfig)
    }

    /// SUSE's `/etc/sysconfig/proxy`.
    pub fn sysconfig() -> Self {
        Source::sysconfig_at("/etc/sysconfig/proxy")
    }

    /// A file in the form of `/etc/sysconfig/proxy`, at `path`.
    pub fn sysconfig_at(path: impl Into<PathBuf>) -> Self {
        Source {
            kind: Kind::Sysconfig(path.into()),
        }
    }

    /// A file of the application's own (a [`ProxySettings`](crate::ProxySettings)
    /// file, a Postman proxy list): any change to it rebuilds.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Source {
            kind: Kind::File(path.into()),
        }
    }

    /// macOS's proxies dictionary, by polling `scutil --proxy` every 2
    /// seconds at most (or at the poll interval if it is longer). The
    /// dynamic store's notification API would tell sooner; polling is the
    /// documented fallback (it needs no framework binding, and the
    /// watcher's one thread does it). Elsewhere `scutil` is missing, and
    /// the summary says so.
    pub fn macos() -> Self {
        Source { kind: Kind::Macos }
    }

    /// Windows' `Internet Settings` key (HKCU and the machine policy's
    /// HKLM). With the `windows` feature on Windows, the values are read and
    /// compared on every poll; elsewhere each check reports that the
    /// registry is not there.
    pub fn windows() -> Self {
        Source {
            kind: Kind::Windows,
        }
    }

    /// A PAC script at an `http://` or `https://` URL, fetched with the
    /// default policy (see [`pac_with`](Source::pac_with)).
    #[cfg(feature = "pac-fetch")]
    pub fn pac(url: impl Into<String>) -> Self {
        Source::pac_with(super::pac::PacPolicy::new(url))
    }

    /// A PAC script, fetched again when its HTTP freshness runs out
    /// (`Cache-Control: max-age`, else `Expires`), held between a floor and
    /// a ceiling, with `If-None-Match` / `If-Modified-Since`. The rebuild
    /// reads the script through [`Inputs::pac`](super::Inputs::pac).
    #[cfg(feature = "pac-fetch")]
    pub fn pac_with(policy: super::pac::PacPolicy) -> Self {
        Source {
            kind: Kind::Pac(policy),
        }
    }

    /// Web proxy auto-discovery: `wpad` is searched when the watcher
    /// starts and again `every` period (at least a second); a different
    /// URL or script rebuilds, and the rebuild reads it through
    /// [`Inputs::wpad`](super::Inputs::wpad). A search that finds nothing
    /// is reported, and the script found before stays.
    #[cfg(feature = "pac-fetch")]
    pub fn wpad(wpad: crate::pac::wpad::Wpad, every: Duration) -> Self {
        Source {
            kind: Kind::Wpad(wpad, every.max(Duration::from_secs(1))),
        }
    }

    /// How often the source is checked at most: `scutil` is run every 2
    /// seconds at most, files at every poll.
    pub(crate) fn min_interval(&self) -> Duration {
        match self.kind {
            Kind::Macos => Duration::from_secs(2),
            _ => Duration::ZERO,
        }
    }

    /// The source's name in reports: `gnome`, `kde`, `sysconfig:/etc/...`,
    /// `file:/path`, `macos`, `windows`, `pac:URL` (password as `***`).
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Gnome { .. } => "gnome".to_owned(),
            Kind::Kde { .. } => "kde".to_owned(),
            Kind::Sysconfig(p) => format!("sysconfig:{}", p.display()),
            Kind::File(p) => format!("file:{}", p.display()),
            Kind::Macos => "macos".to_owned(),
            Kind::Windows => "windows".to_owned(),
            #[cfg(feature = "pac-fetch")]
            Kind::Pac(policy) => format!("pac:{}", redact(policy.url())),
            #[cfg(feature = "pac-fetch")]
            Kind::Wpad(..) => "wpad".to_owned(),
        }
    }

    /// The files checked on each poll.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        match &self.kind {
            Kind::Gnome { config_home, .. } => vec![
                config_home.join("dconf").join("user"),
                config_home
                    .join("glib-2.0")
                    .join("settings")
                    .join("keyfile"),
            ],
            Kind::Kde { files, .. } => files.clone(),
            Kind::Sysconfig(p) | Kind::File(p) => vec![p.clone()],
            _ => Vec::new(),
        }
    }

    /// What the source holds now, as a fingerprint: files by type, length
    /// and content; polled commands by their output.
    pub(crate) fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for file in self.files() {
            file_fingerprint(&file).hash(&mut h);
        }
        match &self.kind {
            Kind::Macos => run(Command::new("scutil").arg("--proxy")).hash(&mut h),
            Kind::Windows => windows_read().map(|s| summarize(&s)).hash(&mut h),
            _ => {}
        }
        h.finish()
    }

    /// The settings the source holds now, in the crate's own words, and any
    /// PAC URL they name.
    pub(crate) fn summary(&self) -> (String, Option<String>) {
        let system = match &self.kind {
            Kind::Gnome { env, .. } => {
                let mut c = Command::new("gsettings");
                c.args(["list-recursively", gnome::SCHEMA]);
                for (k, v) in env {
                    c.env(k, v);
                }
                run(&mut c).map(|text| gnome::parse(&text))
            }
            Kind::Kde { files, env } => {
                let mut texts = Vec::new();
                for file in files {
                    match std::fs::read_to_string(file) {
                        Ok(text) => texts.push((file.display().to_string(), text)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return (format!("{}: {e}", file.display()), None),
                    }
                }
                let refs: Vec<(&str, &str)> = texts
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_str()))
                    .collect();
                Ok(kde::parse(&refs, |name| var(env, name).map(str::to_owned)))
            }
            Kind::Sysconfig(p) => std::fs::read_to_string(p)
                .map(|text| sysconfig::parse(&text, &p.display().to_string()))
                .map_err(|e| format!("{}: {e}", p.display())),
            Kind::File(p) => {
                return (
                    match std::fs::read(p) {
                        Ok(bytes) => {
                            let mut h = std::collections::hash_map::DefaultHasher::new();
                            bytes.hash(&mut h);
                            format!("{} bytes, content {:016x}", bytes.len(), h.finish())
                        }
                        Err(e) => format!("{}: {e}", p.display()),
                    },
                    None,
                )
            }
            Kind::Macos => {
                run(Command::new("scutil").arg("--proxy")).map(|t| macos::parse(&t, "scutil"))
            }
            Kind::Windows => windows_read(),
            #[cfg(feature = "pac-fetch")]
            Kind::Pac(_) | Kind::Wpad(..) => return (String::new(), None),
        };
        match system {
            Ok(s) => {
                let pac = match s.mode() {
                    SystemMode::AutoConfig(url) => Some(url.clone()),
                    _ => None,
                };
                (summarize(&s), pac)
            }
            Err(e) => (e, None),
        }
    }
}

/// A file as a check sees it.
#[derive(Hash)]
enum FileState {
    Missing,
    Unreadable(std::io::ErrorKind),
    Dir,
    Other,
    Content(u64, u64, Option<std::time::SystemTime>),
    Large(u64, Option<std::time::SystemTime>),
}

fn file_fingerprint(path: &Path) -> FileState {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return FileState::Missing,
        Err(e) => return FileState::Unreadable(e.kind()),
    };
    if meta.is_dir() {
        return FileState::Dir;
    }
    if !meta.is_file() {
        return FileState::Other;
    }
    if meta.len() > HASHED_BYTES {
        return FileState::Large(meta.len(), meta.modified().ok());
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            FileState::Content(bytes.len() as u64, h.finish(), meta.modified().ok())
        }
        Err(e) => FileState::Unreadable(e.kind()),
    }
}

/// A command's standard output, within [`COMMAND_TIMEOUT`], or why not.
fn run(command: &mut Command) -> Result<String, String> {
    let name = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut out).map(|_| out)
    });
    let deadline = std::time::Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} took longer than {COMMAND_TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("{name}: {e}")),
        }
    };
    let out = reader
        .join()
        .map_err(|_| format!("{name}: reading its output failed"))?
        .map_err(|e| format!("{name}: {e}"))?;
    if !status.success() {
        return Err(format!("{name} failed: {status}"));
    }
    String::from_utf8(out).map_err(|_| format!("{name}: its output is not UTF-8"))
}

/// The Internet Settings, read now.
fn windows_read() -> Result<SystemProxies, String> {
    #[cfg(all(windows, feature = "system-windows"))]
    {
        crate::system::windows::read().map_err(|e| e.to_string())
    }
    #[cfg(not(all(windows, feature = "system-windows")))]
    {
        Err("the Windows registry is read only on Windows with the windows feature".to_owned())
    }
}

/// One store's settings in a line: the mode, the proxy each kind of URL
/// takes (with the key it came from) and the bypass list, passwords as
/// `***`.
pub(crate) fn summarize(s: &SystemProxies) -> String {
    use std::fmt::Write;
    let mut out = format!("{} ", s.store());
    match s.mode() {
        SystemMode::Direct => out.push_str("direct"),
        SystemMode::Manual => out.push_str("manual"),
        SystemMode::AutoConfig(url) => {
            let _ = write!(out, "auto-config {}", redact(url));
        }
        SystemMode::AutoDetect => out.push_str("auto-detect"),
    }
    if matches!(s.mode(), SystemMode::Manual) {
        for scheme in ["http", "https", "ftp", "other"] {
            if let Some((proxy, key)) = s.proxy_for(scheme) {
                let _ = write!(out, "; {scheme} {proxy} ({key})");
            }
        }
        if let Some(list) = s.bypass() {
            let _ = write!(out, "; bypass {list}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kde_cascade_files_lowest_priority_first() {
        let s = Source::kde_with(|n| match n {
            "XDG_CONFIG_DIRS" => Some("/etc/a:/etc/b".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            _ => None,
        });
        let files: Vec<String> = s.files().iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            files,
            [
                "/etc/b/kioslaverc",
                "/etc/a/kioslaverc",
                "/home/u/.config/kioslaverc"
            ]
        );
        let s = Source::kde_with(|_| None);
        let files: Vec<String> = s.files().iter().map(|p| p.display().to_string()).collect();
        assert_eq!(files, ["/etc/xdg/kioslaverc"]);
    }

    #[test]
    fn gnome_files_under_the_config_home() {
        let s = Source::gnome_with(|n| (n == "XDG_CONFIG_HOME").then(|| "/cfg".to_owned()));
        let files: Vec<String> = s.files().iter().map(|p| p.display().to_string()).collect();
        assert_eq!(files, ["/cfg/dconf/user", "/cfg/glib-2.0/settings/keyfile"]);
        let s = Source::gnome_with(|n| (n == "HOME").then(|| "/home/u".to_owned()));
        assert_eq!(s.files()[0], Path::new("/home/u/.config/dconf/user"));
    }

    #[test]
    fn the_system_source_follows_the_desktop() {
        let pick = |desktop: &'static str| {
            Source::system_with(move |n| (n == "XDG_CURRENT_DESKTOP").then(|| desktop.to_owned()))
                .map(|s| s.label())
        };
        assert_eq!(pick("ubuntu:GNOME").as_deref(), Some("gnome"));
        assert_eq!(pick("X-Cinnamon").as_deref(), Some("gnome"));
        assert_eq!(pick("KDE").as_deref(), Some("kde"));
        let other = pick("XFCE");
        let sysconfig = Path::new("/etc/sysconfig/proxy").exists();
        assert_eq!(other.is_some(), sysconfig, "{other:?}");
    }

    #[test]
    fn labels() {
        assert_eq!(Source::gnome_with(|_| None).label(), "gnome");
        assert_eq!(Source::kde_with(|_| None).label(), "kde");
        assert_eq!(
            Source::sysconfig().label(),
            "sysconfig:/etc/sysconfig/proxy"
        );
        assert_eq!(Source::file("/a/b.toml").label(), "file:/a/b.toml");
        assert_eq!(Source::macos().label(), "macos");
        assert_eq!(Source::windows().label(), "windows");
    }

    #[test]
    fn summaries_name_mode_proxies_and_bypass_without_passwords() {
        let rows = [
            (
                "manual with a bypass list",
                "PROXY_ENABLED=\"yes\"\nHTTP_PROXY=\"http://u:pw-1@p:3128\"\nNO_PROXY=\"localhost, .corp\"\n",
                "sysconfig manual; http http://u:***@p:3128 (sysconfig:proxy HTTP_PROXY); bypass localhost,.corp",
            ),
            ("off", "PROXY_ENABLED=\"no\"\nHTTP_PROXY=\"http://p:1\"\n", "sysconfig direct"),
        ];
        for (name, text, want) in rows {
            let got = summarize(&sysconfig::parse(text, "proxy"));
            assert_eq!(got, want, "{name}");
        }
        let kde = kde::parse(
            &[(
                "kioslaverc",
                "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://u:pw-2@pac/x.pac\n",
            )],
            |_| None,
        );
        assert_eq!(summarize(&kde), "kde auto-config http://u:***@pac/x.pac");
        let wpad = kde::parse(&[("kioslaverc", "[Proxy Settings]\nProxyType=3\n")], |_| {
            None
        });
        assert_eq!(summarize(&wpad), "kde auto-detect");
    }

    #[test]
    fn file_fingerprints_see_type_and_content() {
        let dir = std::env::temp_dir().join(format!("proxyroute-fp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        let source = Source::file(&file);
        let missing = source.fingerprint();
        std::fs::write(&file, "a").unwrap();
        let a = source.fingerprint();
        assert_ne!(a, missing);
        assert_eq!(a, source.fingerprint(), "nothing changed");
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        let as_dir = source.fingerprint();
        assert!(![missing, a].contains(&as_dir));
        std::fs::remove_dir(&file).unwrap();
        assert_eq!(source.fingerprint(), missing);
        let (summary, pac) = source.summary();
        assert!(summary.contains("No such file"), "{summary}");
        assert_eq!(pac, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

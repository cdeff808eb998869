//! The system layer's settings: this desktop's live settings (`--system`) or
//! a file from a bug report (`--gnome-gsettings` and the rest).

use proxyroute::system::SystemProxies;

use crate::args::SystemSource;

/// The settings `source` names; an error names the option and the file.
pub(crate) fn read(source: &SystemSource) -> Result<SystemProxies, String> {
    let read = |flag: &str, file: &str| {
        std::fs::read_to_string(file).map_err(|e| format!("{flag} {file}: {e}"))
    };
    let settings = match source {
        SystemSource::Live => return live(),
        SystemSource::Gnome(file) => {
            proxyroute::system::gnome::parse(&read("--gnome-gsettings", file)?)
        }
        SystemSource::Kde(file) => {
            let text = read("--kde-kioslaverc", file)?;
            proxyroute::system::kde::parse(&[(file.as_str(), text.as_str())], |name| {
                std::env::var(name).ok()
            })
        }
        SystemSource::Windows(file) => {
            let flag = format!("--windows-reg {file}");
            let bytes = std::fs::read(file).map_err(|e| format!("{flag}: {e}"))?;
            let text =
                proxyroute::system::windows::decode(&bytes, &flag).map_err(|e| e.to_string())?;
            proxyroute::system::windows::parse(&text, file)
        }
        SystemSource::Macos(file) => {
            proxyroute::system::macos::parse(&read("--macos-scutil", file)?, file)
        }
        SystemSource::Sysconfig(file) => {
            proxyroute::system::sysconfig::parse(&read("--sysconfig", file)?, file)
        }
    };
    Ok(settings)
}

/// `--system`: the live settings of this machine.
fn live() -> Result<SystemProxies, String> {
    const ANY_READER: bool = cfg!(any(
        feature = "system-gnome",
        feature = "system-kde",
        feature = "system-sysconfig",
        all(windows, feature = "system-windows"),
        all(target_os = "macos", feature = "system-macos")
    ));
    match proxyroute::system::from_system() {
        Ok(Some(settings)) => Ok(settings),
        Ok(None) if ANY_READER => Err(
            "--system: no system proxy store applies here (XDG_CURRENT_DESKTOP names no GNOME \
             or KDE desktop, and there is no /etc/sysconfig/proxy)"
                .to_owned(),
        ),
        Ok(None) => Err(
            "--system: this build reads no system store; it needs feature `system` \
                         (cargo install proxyroute --features system, or cargo run --features \
                         system -- --system URL)"
                .to_owned(),
        ),
        Err(e) => Err(format!("--system: {e}")),
    }
}

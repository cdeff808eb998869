//! Linux namespaces for the tests (`unshare`): whether this machine permits
//! them, and a server started in a mount namespace of its own whose
//! `/etc/hosts` knows names the test's resolver does not.

#![allow(dead_code, unreachable_pub)]

use super::*;

pub const UNSHARE: &str = "unshare";
pub const IP: &str = "ip";

/// Whether `unshare -m` (a mount namespace, for an `/etc/hosts` only a proxy
/// sees) is permitted here. Under `CI=true` (root) it must be.
pub fn can_unshare_mount() -> bool {
    can_unshare("-m")
}

/// Whether `unshare -n` (a network namespace) is permitted here, and `ip` is
/// installed to bring its loopback up. Under `CI=true` (root) it must be.
pub fn can_unshare_net() -> bool {
    have(&[UNSHARE, IP]) && can_unshare("-n")
}

fn can_unshare(flag: &str) -> bool {
    let ok = Command::new(program(UNSHARE))
        .args([flag, "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || !under_ci(),
        "CI=true and `unshare {flag}` fails (run as root)"
    );
    if !ok {
        eprintln!("notice: skipping this test: `unshare {flag}` is not permitted here");
    }
    ok
}

/// A command that runs `program` in a mount namespace of its own
/// (`unshare -m`) with `dir/hosts` (localhost and `lines`) bound over
/// `/etc/hosts`, so that the names in `lines` resolve for it alone. The
/// command execs `program`: killing the child kills the server.
pub fn with_own_hosts(dir: &TempDir, lines: &str, program: &Path) -> Command {
    let file = dir.join("hosts");
    std::fs::write(&file, format!("127.0.0.1 localhost\n{lines}\n")).expect("write hosts");
    let mut cmd = Command::new(self::program(UNSHARE));
    cmd.args([
        "-m",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
    ])
    .arg(&file)
    .arg(program);
    cmd
}

//! Finding (or building) the `resolve` example, for the tests that run it.

use std::path::PathBuf;
use std::process::Command;

pub(crate) fn resolve_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("resolve{}", std::env::consts::EXE_SUFFIX));
    // Build it once per test process even when it exists: `cargo test --test X`
    // does not rebuild examples, and a stale binary would test old code.
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", "resolve"])
            .status()
            .expect("run cargo build --example resolve");
        assert!(status.success(), "building the example failed");
    });
    bin
}

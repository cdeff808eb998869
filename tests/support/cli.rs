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
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", "resolve"])
            .status()
            .expect("run cargo build --example resolve");
        assert!(status.success(), "building the example failed");
    }
    bin
}

//! The `proxyroute` binary and the examples, for the tests that run them.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The `proxyroute` binary, built by cargo for this test run with the test's
/// own features (`CARGO_BIN_EXE_proxyroute`), so it is never stale.
#[allow(dead_code)] // not every test that includes this file runs the CLI
pub(crate) fn resolve_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_proxyroute"))
}

/// The example `name`, built (with `cargo_args`, such as `--features serde`)
/// once per test process even when a binary exists: `cargo test --test X`
/// does not rebuild examples, and a stale binary would test old code.
#[allow(dead_code)] // not every test that includes this file runs an example
pub(crate) fn example_bin(name: &str, cargo_args: &[&str]) -> PathBuf {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built
        .get_or_insert_with(HashSet::new)
        .insert(name.to_owned())
    {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", name])
            .args(cargo_args)
            .args(profile_dir.ends_with("release").then_some("--release"))
            .status()
            .unwrap_or_else(|e| panic!("run cargo build --example {name}: {e}"));
        assert!(status.success(), "building the example {name} failed");
    }
    bin
}

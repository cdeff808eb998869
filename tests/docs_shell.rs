//! Every shell example in README.md and docs/*.md, run against the built
//! `proxyroute` binary.
//!
//! A ```` ```sh ```` block is a list of steps: a command (continued over lines
//! ending in `\`, or a heredoc up to its terminator), then the output it
//! shows, as comment lines:
//!
//! - `# text`: some line of the output (stdout and stderr) contains `text`;
//!   ` ... ` inside it skips any text, and the lines must appear in order;
//! - `# exit N`: the exit status is N (otherwise it must be 0).
//!
//! A comment after the command on the same line is not checked. Each block
//! runs in a fresh directory with an empty environment (only `PATH` and
//! `HOME`, and `examples/` linked from the repository); its steps share the
//! directory, so a step may write a file a later step reads. `proxyroute` and `cargo run [-q] [--features F] -- ARGS` run the
//! binary this test was built with; `cargo run --example NAME` runs that
//! example. Inside a network namespace holding only loopback when one can be
//! made, so no example can reach the network.
//!
//! A step that needs a feature this build lacks (`--features F`, or an option
//! such as `--system`, `--pac`, `--wpad`) is skipped with a notice; a step
//! whose comment says `without feature F` runs only when F is off. CI runs
//! this test with `--all-features` too. Commands other than the CLI must be
//! named in [`ELSEWHERE`] with where they are exercised, or the test fails.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/cli.rs"]
mod cli;

/// Commands the docs show that this test does not run, and where each is
/// exercised instead.
const ELSEWHERE: &[(&str, &str)] = &[
    ("cargo test", ".ci/run runs the test suite"),
    (
        "cargo install",
        ".ci/run installs the binary with cargo install --path .",
    ),
    ("cargo bench", ".ci/run runs the benches once as tests"),
    (
        "gsettings ",
        "a desktop command; tests/system.rs runs real gsettings",
    ),
    (
        "git clone",
        "the first-run measurement in docs/performance.md",
    ),
    ("uptime", "the first-run measurement in docs/performance.md"),
    (
        "bash .ci/",
        ".ci/run runs the install scripts on a fresh machine",
    ),
    (
        "valgrind ",
        "examples/count_resolve.rs documents the instruction count",
    ),
];

/// The command after its leading `NAME=value` assignments.
fn without_assignments(command: &str) -> &str {
    let mut rest = command.trim_start();
    while let Some((word, tail)) = rest.split_once(' ') {
        let is_assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if !is_assignment {
            break;
        }
        rest = tail.trim_start();
    }
    rest
}

/// Options that need a feature, and which.
const OPTION_FEATURES: &[(&str, &str)] = &[
    ("--system ", "system"),
    ("--pac ", "pac"),
    ("--pac-isolate", "pac"),
    ("--wpad ", "pac-fetch"),
    ("--probe", "probe"),
    ("--watch", "watch"),
];

/// The package's features, and whether this test (and so the binary) was
/// built with each.
const FEATURES: &[(&str, bool)] = &[
    ("serde", cfg!(feature = "serde")),
    ("system", cfg!(feature = "system")),
    ("system-gnome", cfg!(feature = "system-gnome")),
    ("system-kde", cfg!(feature = "system-kde")),
    ("system-sysconfig", cfg!(feature = "system-sysconfig")),
    ("system-windows", cfg!(feature = "system-windows")),
    ("system-macos", cfg!(feature = "system-macos")),
    ("pac", cfg!(feature = "pac")),
    ("pac-fetch", cfg!(feature = "pac-fetch")),
    ("probe", cfg!(feature = "probe")),
    ("watch", cfg!(feature = "watch")),
    ("hyper", cfg!(feature = "hyper")),
    ("reqwest", cfg!(feature = "reqwest")),
    ("reqwest-blocking", cfg!(feature = "reqwest-blocking")),
    ("ureq", cfg!(feature = "ureq")),
];

/// Whether this build has `feature` (an unknown name: no).
fn enabled(feature: &str) -> bool {
    FEATURES.iter().any(|&(name, on)| name == feature && on)
}

/// One command and what the docs say it prints.
#[derive(Debug)]
struct Step {
    /// Where it is written: `file:line`.
    at: String,
    command: String,
    expect: Vec<String>,
    status: i32,
}

/// The ```` ```sh ```` blocks of `text`, each as its steps.
fn blocks(file: &str, text: &str) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        if line.trim_end() != "```sh" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut heredoc: Option<String> = None;
        let mut continued = false;
        for (n, line) in lines.by_ref() {
            if heredoc.is_none() && line.trim_end() == "```" {
                break;
            }
            let at = format!("{file}:{}", n + 1);
            if let Some(end) = &heredoc {
                let step = steps.last_mut().expect("a heredoc follows its command");
                step.command.push('\n');
                step.command.push_str(line);
                if line == end {
                    heredoc = None;
                }
                continue;
            }
            if continued {
                let step = steps
                    .last_mut()
                    .expect("a continuation follows its command");
                step.command.push('\n');
                step.command.push_str(line);
            } else if let Some(comment) = line.strip_prefix('#') {
                let step = steps
                    .last_mut()
                    .unwrap_or_else(|| panic!("{at}: an output line before any command"));
                let comment = comment.trim();
                match comment.strip_prefix("exit ") {
                    Some(code) => {
                        step.status = code
                            .parse()
                            .unwrap_or_else(|_| panic!("{at}: bad exit status {code:?}"))
                    }
                    None => step.expect.push(comment.to_owned()),
                }
                continue;
            } else if line.trim().is_empty() {
                continue;
            } else {
                steps.push(Step {
                    at,
                    command: line.to_owned(),
                    expect: Vec::new(),
                    status: 0,
                });
            }
            continued = line.ends_with('\\');
            if let Some(i) = line.find("<<") {
                let end = line[i + 2..]
                    .trim()
                    .trim_matches(|c| c == '\'' || c == '"' || c == '-');
                heredoc = Some(end.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
        blocks.push(steps);
    }
    blocks
}

/// The feature a command's comment says the build lacks (`# ... without
/// feature pac`): the step shows what happens then.
fn without_feature(command: &str) -> Option<&str> {
    let (_, after) = command.split_once("without feature ")?;
    after.split_whitespace().next()
}

/// The features `command` needs.
fn features(command: &str) -> Vec<String> {
    if without_feature(command).is_some() {
        return Vec::new();
    }
    let mut needed = Vec::new();
    let words: Vec<&str> = command.split_whitespace().collect();
    for pair in words.windows(2) {
        if pair[0] == "--features" {
            needed.extend(pair[1].split(',').map(str::to_owned));
        }
    }
    let spaced = format!("{command} ");
    for (option, feature) in OPTION_FEATURES {
        if spaced.contains(option) && !command.contains("--features") {
            needed.push((*feature).to_owned());
        }
    }
    needed
}

/// The examples `command` runs, each with the features it names.
fn examples(command: &str) -> Vec<(String, Vec<String>)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, pair) in words.windows(2).enumerate() {
        if pair[0] == "--example" {
            let features = words[i..]
                .windows(2)
                .find(|w| w[0] == "--features")
                .map(|w| vec![w[1].to_owned()])
                .unwrap_or_default();
            found.push((pair[1].to_owned(), features));
        }
    }
    found
}

/// `sh` functions standing for `proxyroute` and `cargo run`.
const PRELUDE: &str = r#"
proxyroute() { "$DOCS_PROXYROUTE" "$@"; }
cargo() {
  [ "$1" = run ] || { echo "docs_shell: only cargo run is run here" >&2; return 97; }
  shift
  example=
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    [ "$1" = --example ] && { shift; example=$1; }
    shift
  done
  [ $# -gt 0 ] && shift
  if [ -n "$example" ]; then
    eval "bin=\$DOCS_EXAMPLE_$example"
    "$bin" "$@"
  else
    "$DOCS_PROXYROUTE" "$@"
  fi
}
"#;

/// Whether `unshare -n` works here (root, or user namespaces).
fn netns() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `step` in `dir`; the failure, if any, in words.
fn run(step: &Step, dir: &Path, examples: &[(String, PathBuf)], isolate: bool) -> Option<String> {
    let script = format!("{PRELUDE}\n{}\n", step.command);
    let mut cmd = if isolate {
        let mut c = Command::new("unshare");
        c.args(["-n", "sh", "-c"])
            .arg(format!("ip link set lo up 2>/dev/null; {script}"));
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(&script);
        c
    };
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("DOCS_PROXYROUTE", cli::resolve_bin());
    for (name, bin) in examples {
        cmd.env(format!("DOCS_EXAMPLE_{name}"), bin);
    }
    let out = cmd.output().expect("run sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let status = out.status.code().unwrap_or(-1);
    let mut problems = Vec::new();
    if status != step.status {
        problems.push(format!(
            "exit status {status}, the doc says {}",
            step.status
        ));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    for want in &step.expect {
        let parts: Vec<&str> = want.split("...").map(str::trim).collect();
        let hit = lines[from..].iter().position(|line| {
            let mut rest = *line;
            parts.iter().all(|part| match rest.find(part) {
                Some(i) => {
                    rest = &rest[i + part.len()..];
                    true
                }
                None => false,
            })
        });
        match hit {
            Some(i) => from += i + 1,
            None => problems.push(format!("no line (in order) matches {want:?}")),
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{}: {}\n  {}\n--- output ---\n{text}",
            step.at,
            step.command,
            problems.join("\n  ")
        )
    })
}

/// README.md and every docs/*.md.
fn doc_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("docs entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[test]
fn shell_examples_in_the_docs_show_what_the_binary_prints() {
    let isolate = netns();
    if !isolate {
        eprintln!("docs_shell: no network namespace here; examples run on the host network");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let (mut ran, mut skipped) = (0, 0);
    for file in doc_files() {
        let name = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&file).expect("read the doc");
        for (b, block) in blocks(&name, &text).into_iter().enumerate() {
            let dir = std::env::temp_dir().join(format!(
                "proxyroute-docs-{}-{}-{b}",
                std::process::id(),
                name.replace(['/', '.'], "-")
            ));
            std::fs::create_dir_all(&dir).expect("scratch directory");
            // The repository's example files, at the paths the docs name.
            std::os::unix::fs::symlink(root.join("examples"), dir.join("examples"))
                .expect("link examples/");
            for step in &block {
                let first = step.command.trim_start();
                let program = without_assignments(first);
                if let Some((_, where_)) = ELSEWHERE
                    .iter()
                    .find(|(prefix, _)| program.starts_with(prefix))
                {
                    eprintln!("docs_shell: {}: not run here ({where_}): {first}", step.at);
                    continue;
                }
                if let Some(feature) = without_feature(first).filter(|f| enabled(f)) {
                    eprintln!(
                        "docs_shell: {}: skipped, shows a build without feature {feature}: {first}",
                        step.at
                    );
                    skipped += 1;
                    continue;
                }
                let missing: Vec<String> = features(first)
                    .into_iter()
                    .filter(|f| !enabled(f))
                    .collect();
                if !missing.is_empty() {
                    eprintln!(
                        "docs_shell: {}: skipped, needs feature {}: {first}",
                        step.at,
                        missing.join(", ")
                    );
                    skipped += 1;
                    continue;
                }
                let examples: Vec<(String, PathBuf)> = examples(first)
                    .into_iter()
                    .map(|(name, features)| {
                        let args: Vec<String> = features
                            .iter()
                            .flat_map(|f| ["--features".to_owned(), f.clone()])
                            .collect();
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        let bin = cli::example_bin(&name, &args);
                        (name, bin)
                    })
                    .collect();
                ran += 1;
                failures.extend(run(step, &dir, &examples, isolate));
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    eprintln!("docs_shell: {ran} commands run, {skipped} skipped for missing features");
    assert!(ran > 0, "no shell example found");
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_block_reader_splits_steps() {
    let text = "x\n```sh\nA=1 proxyroute a \\\n  b   # comment\n# out ... put\n# exit 1\ncat > f <<'EOF'\n# not output\nEOF\n```\n";
    let blocks = blocks("t.md", text);
    assert_eq!(blocks.len(), 1);
    let steps = &blocks[0];
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].command, "A=1 proxyroute a \\\n  b   # comment");
    assert_eq!(steps[0].expect, ["out ... put"]);
    assert_eq!(steps[0].status, 1);
    assert_eq!(steps[1].command, "cat > f <<'EOF'\n# not output\nEOF");
    assert!(steps[1].expect.is_empty());
    assert_eq!(
        features("cargo run --features pac,serde -- x"),
        ["pac", "serde"]
    );
    assert_eq!(features("proxyroute --wpad corp x"), ["pac-fetch"]);
    assert!(features("proxyroute --pac-child").is_empty());
    let off = "proxyroute --pac p x   # a build without feature pac";
    assert_eq!(without_feature(off), Some("pac"));
    assert!(features(off).is_empty());
}

/// The table of features names every feature in Cargo.toml, so a new
/// feature's examples are skipped, not run, in a build without it.
#[test]
fn the_feature_table_matches_cargo_toml() {
    let manifest = include_str!("../Cargo.toml");
    let section = manifest
        .split("\n[features]\n")
        .nth(1)
        .expect("a [features] table");
    let section = section.split("\n[").next().unwrap_or(section);
    let mut declared: Vec<&str> = section
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#') && *name != "default")
        .collect();
    declared.sort_unstable();
    let mut known: Vec<&str> = FEATURES.iter().map(|&(name, _)| name).collect();
    known.sort_unstable();
    assert_eq!(declared, known);
}

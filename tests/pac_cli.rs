//! The CLI's `--pac` output (`examples/resolve.rs`, built with `--features
//! pac`), run as a user would run it: the human form names the `return`
//! that answered; the JSON form is unchanged.
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
    let bin = cli::example_bin("resolve", &["--features", "pac"]);
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
    let source = format!("pac:{}", file.path());
    let want = format!(
        r#"http://intranet/
  route:   DIRECT
  source:  {source}
  why:     FindProxyForURL returned "DIRECT"
  branch:  line 2: if (isPlainHostName(host)) return "DIRECT";
https://git.corp.example/
  route:   http://corp.example:3128
  source:  {source}
  why:     FindProxyForURL returned "PROXY corp.example:3128"
  branch:  line 4: return "PROXY corp.example:3128";
https://example.com/
  route:   http://internet.example:3128, then DIRECT
  source:  {source}
  why:     FindProxyForURL returned "PROXY internet.example:3128; DIRECT"
  branch:  line 6: return "PROXY internet.example:3128; DIRECT";
"#
    );
    assert_eq!(out, want);
}

#[test]
fn json_output_has_no_branch() {
    let file = ScriptFile::new("json", CORP);
    let (code, out, err) = run(&["--pac", file.path(), "--json", "http://intranet/"]);
    assert_eq!(code, 0, "{err}");
    let mut path = String::new();
    for c in file.path().chars() {
        match c {
            '\\' | '"' => {
                path.push('\\');
                path.push(c);
            }
            _ => path.push(c),
        }
    }
    assert_eq!(
        out,
        format!(
            "{{\"url\": \"http://intranet/\", \"route\": [\"DIRECT\"], \"source\": \"pac:{path}\", \
             \"reason\": \"FindProxyForURL returned \\\"DIRECT\\\"\", \"rule\": null, \
             \"violations\": [], \"layer\": \"pac\"}}\n"
        )
    );
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
        out.contains("  why:     FindProxyForURL returned \"PROXY p.example:8080\"\n"),
        "{out}"
    );
    assert!(!out.contains("branch:"), "{out}");
}

#[test]
fn a_failing_script_is_an_error_for_its_url() {
    let file = ScriptFile::new(
        "asi",
        "function FindProxyForURL(url, host) {\n  return\n  \"DIRECT\";\n}\n",
    );
    let (code, out, _) = run(&["--pac", file.path(), "http://x/"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "http://x/\n  error:   PAC script: FindProxyForURL returned undefined, not a string\n"
    );
}

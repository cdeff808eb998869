//! Postman's `ProxyConfigList::from_json`: arbitrary text never panics, and a
//! list that reads resolves (resolve == explain) on fixed targets and the
//! hosts its configs name. A second mode builds configs from structured
//! input with a planted password and checks that it never shows in `Debug`,
//! violations, errors or explanations.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use proxyroute::postman::ProxyConfigList;
use proxyroute::{Origin, Resolver, Target};
use proxyroute_fuzz::{check_resolver, fixed_targets, PLANTED_PASSWORD};

#[derive(Arbitrary, Debug)]
enum Field {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<String>),
}

/// `text` as a JSON string literal.
fn json_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Field {
    fn json(&self) -> String {
        let s = json_str;
        match self {
            Field::Str(t) => s(t),
            Field::Num(n) if n.is_finite() => format!("{n}"),
            Field::Num(_) => "0".to_owned(),
            Field::Bool(b) => b.to_string(),
            Field::Null => "null".to_owned(),
            Field::List(items) => format!(
                "[{}]",
                items.iter().map(|t| s(t)).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

const KEYS: &[&str] = &[
    "host",
    "port",
    "protocol",
    "match",
    "tunnel",
    "disabled",
    "authenticate",
    "username",
    "bypass",
    "id",
    "Host",
];

#[derive(Arbitrary, Debug)]
struct Config {
    fields: Vec<(u8, Field)>,
    password: bool,
}

fn check_list(list: &ProxyConfigList, targets: &[Target]) {
    let resolver = Resolver::builder()
        .postman_configs(list.clone())
        .build()
        .expect("a Postman list alone always builds");
    check_resolver(&resolver, targets);
}

fn targets(list: &ProxyConfigList) -> Vec<Target> {
    let mut out = fixed_targets();
    for c in list.configs().iter().take(8) {
        for pattern in
            std::iter::once(c.match_pattern()).chain(c.bypass_patterns().iter().map(String::as_str))
        {
            let host = pattern.split("://").nth(1).unwrap_or(pattern);
            let host = host
                .split(['/', ':'])
                .next()
                .unwrap_or(host)
                .trim_start_matches("*.");
            for scheme in ["http", "https"] {
                if let Ok(t) = Target::new(scheme, host, None) {
                    out.push(t);
                }
            }
        }
    }
    out
}

// Input: text starting with `[`, `{` or a blank is JSON as written; anything
// else drives the structured mode (the seeds are Postman config files).
fuzz_target!(|data: &[u8]| {
    let raw = matches!(
        data.first(),
        Some(b'[' | b'{' | b' ' | b'\n' | b'\t' | b'\r')
    );
    if raw {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(list) = ProxyConfigList::from_json(text, Origin::Text) {
            check_list(&list, &targets(&list));
        }
    } else {
        let Ok(configs) = Vec::<Config>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
        else {
            return;
        };
        let mut items = Vec::new();
        for c in configs.iter().take(8) {
            let mut members: Vec<String> = c
                .fields
                .iter()
                .take(12)
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        json_str(KEYS[usize::from(*k) % KEYS.len()]),
                        v.json()
                    )
                })
                .collect();
            if c.password {
                members.push(format!("\"password\": {}", json_str(PLANTED_PASSWORD)));
            }
            items.push(format!("{{{}}}", members.join(", ")));
        }
        let text = format!("[{}]", items.join(", "));
        if text.matches(PLANTED_PASSWORD).count()
            != configs.iter().take(8).filter(|c| c.password).count()
        {
            return; // the password also appears elsewhere in the input
        }
        let list = ProxyConfigList::from_json(&text, Origin::Text)
            .unwrap_or_else(|e| panic!("generated JSON does not read: {e}\n{text}"));
        let targets = targets(&list);
        check_list(&list, &targets);
        let resolver = Resolver::builder()
            .postman_configs(list.clone())
            .build()
            .unwrap();
        let mut shown = format!("{list:?} {resolver:?}");
        for v in list.violations() {
            shown.push_str(&format!(" {v} {v:?}"));
        }
        for c in list.configs() {
            match c.proxy() {
                Ok(p) => shown.push_str(&format!(" {p} {p:?}")),
                Err(e) => shown.push_str(&format!(" {e} {e:?}")),
            }
        }
        for t in &targets {
            let why = resolver.explain(t);
            shown.push_str(&format!(
                " {why:?} {} {}",
                why.reason(),
                why.hints().join(" ")
            ));
        }
        assert!(!shown.contains(PLANTED_PASSWORD), "password shown: {shown}");
    }
});

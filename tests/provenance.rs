//! `Decision::provenance`: where each answer came from, as data, for every
//! layer and kind of answer; `Decision::source` is its text.

use proxyroute::postman::ProxyConfigList;
use proxyroute::system::gnome;
use proxyroute::{Dialect, Layer, Origin, Provenance, RequestProxy, Resolver, Target};

fn t(url: &str) -> Target {
    url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn setting(layer: Layer, name: &str) -> Provenance {
    Provenance::Setting {
        layer,
        name: name.to_owned(),
    }
}

fn bypass(list: &str, index: Option<usize>) -> Provenance {
    Provenance::Bypass {
        list: list.to_owned(),
        index,
    }
}

fn env(vars: &[(&str, &str)]) -> Resolver {
    Resolver::builder()
        .dialect(Dialect::Curl)
        .env_vars(vars.iter().copied())
        .build()
        .unwrap()
}

/// A named row: the resolver, the request's own setting, the URL, and the
/// provenance and source text expected.
type Row<'a> = (
    &'a str,
    &'a Resolver,
    Option<RequestProxy>,
    &'a str,
    Provenance,
    &'a str,
);

const POSTMAN: &str = r#"[
  {"host": "first.proxy", "port": 1, "match": "http://*.first.example/*"},
  {"host": "second.proxy", "port": 2, "match": "https://*/*", "bypass": ["*.skip.example"]}
]"#;

const GNOME_MANUAL: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.https host 'gproxy.example'
org.gnome.system.proxy.https port 3128
org.gnome.system.proxy ignore-hosts ['localhost', '*.lan.example']
";

#[test]
fn provenance_rows() {
    let curl = env(&[
        ("https_proxy", "http://proxy.example:3128"),
        ("http_proxy", "not a proxy at all:x"),
        ("no_proxy", "localhost, .internal.example"),
    ]);
    let custom = Resolver::builder()
        .no_env()
        .proxy("http://custom.example:8080")
        .bypass(".direct.example")
        .build()
        .unwrap();
    let postman = Resolver::builder()
        .no_env()
        .postman_configs(
            ProxyConfigList::from_json(POSTMAN, Origin::setting("proxies.json")).unwrap(),
        )
        .build()
        .unwrap();
    let system = Resolver::builder()
        .no_env()
        .system(gnome::parse(GNOME_MANUAL))
        .build()
        .unwrap();
    let nothing = Resolver::builder().no_env().build().unwrap();
    let go = Resolver::builder()
        .dialect(Dialect::Go)
        .env_vars([("HTTPS_PROXY", "http://proxy.example:3128")])
        .build()
        .unwrap();
    #[rustfmt::skip]
    let rows: Vec<Row<'_>> = vec![
        ("a variable gives the proxy", &curl, None, "https://example.com/",
            Provenance::Variable("https_proxy".into()), "env:https_proxy"),
        ("a variable that does not parse refuses", &curl, None, "http://example.com/",
            Provenance::Variable("http_proxy".into()), "env:http_proxy"),
        ("entry 1 of no_proxy matches", &curl, None, "https://db.internal.example/",
            bypass("env:no_proxy", Some(1)), "env:no_proxy"),
        ("no variable serves ftp under curl", &curl, None, "ftp://files.example/",
            Provenance::NoVariable, "env"),
        ("Go's implicit localhost rule", &go, None, "https://localhost/",
            bypass("implicit:go", None), "implicit:go"),
        ("the request's own proxy", &curl, Some(RequestProxy::Direct), "https://example.com/",
            Provenance::Request, "request"),
        ("a custom proxy", &custom, None, "https://example.com/",
            setting(Layer::Custom, "custom:proxy"), "custom:proxy"),
        ("entry 0 of the custom bypass list", &custom, None, "https://a.direct.example/",
            bypass("custom:bypass", Some(0)), "custom:bypass"),
        ("Postman config 0", &postman, None, "http://www.first.example/",
            Provenance::PostmanConfig { index: 0, name: "custom:postman[0]".into() },
            "custom:postman[0]"),
        ("Postman config 1, after config 0 passed", &postman, None, "https://www.first.example/",
            Provenance::PostmanConfig { index: 1, name: "custom:postman[1]".into() },
            "custom:postman[1]"),
        ("GNOME's https host", &system, None, "https://example.com/",
            setting(Layer::System, "gnome:org.gnome.system.proxy.https"),
            "gnome:org.gnome.system.proxy.https"),
        ("entry 1 of GNOME's ignore-hosts", &system, None, "https://printer.lan.example/",
            bypass("gnome:org.gnome.system.proxy ignore-hosts", Some(1)),
            "gnome:org.gnome.system.proxy ignore-hosts"),
        ("nothing configured", &nothing, None, "https://example.com/",
            Provenance::Nothing, "none"),
    ];
    for (name, resolver, request, url, want, text) in rows {
        let decision = match &request {
            Some(request) => resolver.explain_with(&t(url), request),
            None => resolver.explain(&t(url)),
        };
        assert_eq!(
            decision.provenance(),
            &want,
            "{name}: {}",
            decision.reason()
        );
        assert_eq!(decision.source(), text, "{name}");
        assert_eq!(decision.provenance().to_string(), text, "{name}");
        // The rule agrees with the provenance.
        if let Provenance::Bypass { list, index } = &want {
            let rule = decision.rule().unwrap_or_else(|| panic!("{name}: no rule"));
            assert_eq!(
                (rule.source(), rule.index()),
                (list.as_str(), *index),
                "{name}"
            );
        }
    }
}

#[cfg(feature = "pac")]
#[test]
fn a_pac_answer_names_the_script_and_the_line_that_returned() {
    use proxyroute::pac::{NoDns, PacScript};
    let script = PacScript::builder(
        "function FindProxyForURL(url, host) {\n\
         \x20 if (isPlainHostName(host)) return \"DIRECT\";\n\
         \x20 return \"PROXY pac.example:3128\";\n\
         }",
    )
    .resolver(NoDns)
    .build()
    .unwrap();
    let resolver = Resolver::builder().no_env().pac(script).build().unwrap();
    for (url, line) in [("http://intranet/", 2), ("https://example.com/", 3)] {
        let decision = resolver.explain(&t(url));
        match decision.provenance() {
            Provenance::Pac {
                layer,
                name,
                line: got,
                ..
            } => {
                assert_eq!(
                    (*layer, name.as_str(), *got),
                    (Layer::Custom, "custom:pac", Some(line)),
                    "{url}"
                );
            }
            other => panic!("{url}: {other:?}"),
        }
        assert_eq!(decision.source(), "custom:pac");
    }
    // A system script not loaded yet: refused, and named by its setting.
    let settings = gnome::parse(
        "org.gnome.system.proxy mode 'auto'\n\
         org.gnome.system.proxy autoconfig-url 'http://user:secret@wpad.example/proxy.pac'\n",
    );
    let resolver = Resolver::builder()
        .no_env()
        .system(settings)
        .build()
        .unwrap();
    let decision = resolver.explain(&t("https://example.com/"));
    assert!(decision.error().is_some());
    match decision.provenance() {
        Provenance::Pac {
            layer,
            name,
            location,
            line,
        } => {
            assert_eq!(*layer, Layer::System);
            assert_eq!(name, "gnome:org.gnome.system.proxy autoconfig-url");
            assert_eq!(location, "http://user:***@wpad.example/proxy.pac");
            assert_eq!(*line, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{:?}", decision.provenance()).contains("secret"));
}

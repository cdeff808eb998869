//! `ProxySettings` (always) and its `serde` form (with `--features serde`):
//! validation errors that name the setting, resolvers built from settings,
//! configuration files in TOML and JSON, round trips, and passwords that are
//! read but never written.

use proxyroute::env::lookup_in;
use proxyroute::{BypassSyntax, Credentials, Dialect, ProxySettings, Target};

fn t(url: &str) -> Target {
    url.parse().unwrap()
}

#[test]
fn validation_names_the_setting_and_the_text() {
    type Change = fn(&mut ProxySettings);
    let rows: [(&str, Change, &str); 5] = [
        (
            "a bypass entry that cannot match",
            |s| s.bypass = Some("localhost, 10.0.0.0/33".into()),
            "bypass entry 1 \"10.0.0.0/33\": invalid CIDR prefix length",
        ),
        (
            "a bypass entry in another syntax",
            |s| {
                s.bypass = Some("http://[::1/*".into());
                s.bypass_syntax = BypassSyntax::Postman;
            },
            "bypass entry 0 \"http://[::1/*\"",
        ),
        (
            "reverse without a list",
            |s| s.reverse_bypass = true,
            "reverse_bypass \"true\": not supported: reverse_bypass needs a bypass list",
        ),
        (
            "an upper-case scheme",
            |s| s.proxy_schemes = Some(vec!["HTTP".into()]),
            "proxy_schemes \"HTTP\"",
        ),
        (
            "a scheme key with a blank",
            |s| {
                s.scheme_proxies
                    .insert("w s".into(), "http://p:1".parse().unwrap());
            },
            "scheme_proxies \"w s\"",
        ),
    ];
    for (name, change, want) in rows {
        let mut s = ProxySettings::default();
        change(&mut s);
        let err = s.clone().validate().unwrap_err().to_string();
        assert!(err.starts_with(want), "{name}: {err}");
        assert_eq!(
            s.build().unwrap_err().to_string(),
            err,
            "{name}: build says the same"
        );
    }
}

#[test]
fn settings_build_what_the_builder_builds() {
    let mut s = ProxySettings::default();
    s.dialect = Dialect::Hyper;
    s.proxy_rules = Some("http=h:1;socks=k:1080".parse().unwrap());
    s.https_proxy = Some("http://s:2".parse().unwrap());
    s.scheme_proxies
        .insert("ws".into(), "socks5h://w:3".parse().unwrap());
    s.bypass = Some(".corp".into());
    s.credentials = Some(Credentials::new("alice", Some("pw")));
    static ENV: [(&str, &str); 2] = [("HTTP_PROXY", "http://env:9"), ("NO_PROXY", "a.test")];
    let resolver = s.builder().env_with(lookup_in(&ENV)).build().unwrap();
    let rows = [
        ("http://x.test/", "http://alice:***@h:1"),
        ("https://x.test/", "http://alice:***@s:2"),
        ("ws://x.test/", "socks5h://alice:***@w:3"),
        ("ftp://x.test/", "socks4://alice:***@k:1080"),
        ("https://git.corp/", "DIRECT"),
    ];
    for (url, want) in rows {
        assert_eq!(resolver.resolve(&t(url)).to_string(), want, "{url}");
    }
    // Without the environment layer nothing else answers.
    s.use_env = false;
    s.proxy_rules = None;
    let resolver = s.build().unwrap();
    assert!(resolver.env().is_none());
    assert!(resolver.resolve(&t("http://x.test/")).is_direct());
}

#[test]
fn postman_configs_in_settings_come_first() {
    use proxyroute::postman::{ProxyConfig, ProxyConfigList};
    let mut s = ProxySettings::default();
    s.use_env = false;
    s.proxy = Some("http://fallback:1".parse().unwrap());
    s.postman = Some(ProxyConfigList::new([ProxyConfig::new("pm.corp", 3128)
        .with_match("https://*.example.com:*/*")
        .with_credentials(Credentials::new("alice", Some("pw")))]));
    let resolver = s.clone().into_builder().build().unwrap();
    let why = resolver.explain(&t("https://api.example.com/"));
    assert_eq!(why.route().to_string(), "http://alice:***@pm.corp:3128");
    assert_eq!(why.source(), "custom:postman[0]");
    // A URL no config applies to goes on to the other explicit proxies.
    assert_eq!(
        resolver.resolve(&t("https://crates.io/")).to_string(),
        "http://fallback:1"
    );
    assert_eq!(s.build().unwrap().violations(), resolver.violations());
}

#[cfg(feature = "serde")]
#[path = "support/cli.rs"]
mod cli;

#[cfg(feature = "serde")]
mod files {
    use super::*;
    use proptest::prelude::*;
    use proxyroute::{Proxy, ProxyRules, ProxyScheme};

    use super::cli;

    const SECRET: &str = "hunter2-pw";

    #[test]
    fn toml_and_json_read_the_same_settings() {
        let toml_text = r#"
            dialect = "go"
            use_env = false
            https_proxy = "http://alice:s%40cret@proxy.corp:3128"
            proxy_rules = "http=h:1;socks=k:1080"
            proxy_schemes = ["http", "https"]
            bypass = "<local>;*.corp"
            bypass_syntax = "windows"
            reverse_bypass = false
            [scheme_proxies]
            ws = "socks5h://w:1080"
            [credentials]
            username = "bob"
            password = "pw"
        "#;
        let json_text = r#"{
            "dialect": "go", "use_env": false,
            "https_proxy": "http://alice:s%40cret@proxy.corp:3128",
            "proxy_rules": "http=h:1;socks=k:1080", "proxy_schemes": ["http", "https"],
            "bypass": "<local>;*.corp", "bypass_syntax": "windows", "reverse_bypass": false,
            "scheme_proxies": {"ws": "socks5h://w:1080"},
            "credentials": {"username": "bob", "password": "pw"}
        }"#;
        let a: ProxySettings = toml::from_str(toml_text).unwrap();
        let b: ProxySettings = serde_json::from_str(json_text).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.dialect, Dialect::Go);
        assert!(!a.use_env);
        let https = a.https_proxy.as_ref().unwrap();
        assert_eq!(https.credentials().unwrap().password(), Some("s@cret"));
        assert_eq!(a.bypass_syntax, BypassSyntax::Windows);
        assert_eq!(a.credentials, Some(Credentials::new("bob", Some("pw"))));
        // An empty table is the defaults.
        let empty: ProxySettings = toml::from_str("").unwrap();
        assert_eq!(empty, ProxySettings::default());
    }

    #[test]
    fn bad_files_name_the_key_and_hide_the_password() {
        let rows = [
            (
                "https_proxy = \"http://u:hunter2-pw@p:0\"",
                "https_proxy \"http://u:***@p:0\": invalid port",
            ),
            (
                "proxy = \"ftp://p:21\"",
                "proxy \"ftp://p:21\": unsupported proxy scheme",
            ),
            ("dialect = \"lynx\"", "dialect \"lynx\""),
            ("bypass_syntax = \"amiga\"", "bypass_syntax \"amiga\""),
            (
                "bypass = \"a, 10.0.0.0/40\"",
                "bypass entry 1 \"10.0.0.0/40\": invalid CIDR prefix length",
            ),
            (
                "proxy_rules = \"http=u:hunter2-pw@h:0\"",
                "proxy_rules entry 0 \"http=u:***@h:0\": invalid port",
            ),
            (
                "[scheme_proxies]\nws = \"nope://x\"",
                "scheme_proxies.ws \"nope://x\"",
            ),
            ("htps_proxy = \"http://p:1\"", "unknown field `htps_proxy`"),
            (
                "use_env = \"yes\"",
                "invalid type: string \"yes\", expected a boolean",
            ),
            (
                "[credentials]\npassword = \"hunter2-pw\"",
                "missing field `username`",
            ),
        ];
        for (text, want) in rows {
            let err = toml::from_str::<ProxySettings>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(!err.contains(SECRET), "{text}: password shown: {err}");
        }
    }

    #[test]
    fn passwords_are_read_but_never_written() {
        let mut s = ProxySettings::default();
        s.proxy = Some(format!("http://alice:{SECRET}@p:1").parse().unwrap());
        s.http_proxy = Some(format!("socks5://:{SECRET}@q:2").parse().unwrap());
        s.proxy_rules = Some(format!("https=bob:{SECRET}@r:3").parse().unwrap());
        s.scheme_proxies.insert(
            "ws".into(),
            format!("http://carol:{SECRET}@w:4").parse().unwrap(),
        );
        s.credentials = Some(Credentials::new("dave", Some(SECRET)));
        let json = serde_json::to_string(&s).unwrap();
        let toml_text = toml::to_string(&s).unwrap();
        for (format, text) in [("json", &json), ("toml", &toml_text)] {
            assert!(!text.contains(SECRET), "{format}: {text}");
            for user in ["alice", "bob", "carol", "dave"] {
                assert!(
                    text.contains(user),
                    "{format} keeps the user {user}: {text}"
                );
            }
        }
        // Read back: the same settings, minus the passwords.
        let back: ProxySettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back.proxy, Some("http://alice@p:1".parse().unwrap()));
        assert_eq!(back.http_proxy, Some("socks5://q:2".parse().unwrap()));
        assert_eq!(back.proxy_rules, Some("https=bob@r:3".parse().unwrap()));
        assert_eq!(back.credentials, Some(Credentials::new("dave", None)));
        assert!(!format!("{s:?}").contains(SECRET));

        // The types on their own.
        let proxy: Proxy = format!("http://alice:{SECRET}@p:1").parse().unwrap();
        assert_eq!(
            serde_json::to_string(&proxy).unwrap(),
            "\"http://alice@p:1\""
        );
        let rules: ProxyRules = format!("http=u:{SECRET}@h:1;socks=k:1080").parse().unwrap();
        assert_eq!(
            serde_json::to_string(&rules).unwrap(),
            "\"http=http://u@h:1;socks=k:1080\""
        );
        let creds = Credentials::new("u", Some(SECRET));
        assert_eq!(
            serde_json::to_string(&creds).unwrap(),
            r#"{"username":"u"}"#
        );
        let read: Credentials =
            serde_json::from_str(&format!(r#"{{"username":"u","password":"{SECRET}"}}"#)).unwrap();
        assert_eq!(read, creds);
    }

    #[test]
    fn small_types_read_and_write_their_text() {
        for scheme in ["http", "https", "socks4", "socks4a", "socks5", "socks5h"] {
            let s: ProxyScheme = serde_json::from_str(&format!("\"{scheme}\"")).unwrap();
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{scheme}\""));
        }
        for &d in Dialect::ALL {
            let text = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Dialect>(&text).unwrap(), d);
        }
        for &s in BypassSyntax::ALL {
            let text = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<BypassSyntax>(&text).unwrap(), s);
        }
        let err = serde_json::from_str::<ProxyScheme>("\"ftp\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ftp"), "{err}");
        let err = serde_json::from_str::<Proxy>("42").unwrap_err().to_string();
        assert!(
            err.contains("a proxy URL such as http://proxy:3128"),
            "{err}"
        );
    }

    #[test]
    fn standalone_types_keep_the_error_text_and_hide_the_password() {
        let rows = [
            (
                serde_json::from_str::<Proxy>(&format!("\"ftp://u:{SECRET}@h:21\"")).map(|_| ()),
                "input \"ftp://u:***@h:21\": unsupported proxy scheme \"ftp\"",
            ),
            (
                serde_json::from_str::<ProxyRules>(&format!("\"http=u:{SECRET}@h:0\"")).map(|_| ()),
                "input entry 0 \"http=u:***@h:0\": invalid port",
            ),
            (
                serde_json::from_str::<Dialect>("\"lynx\"").map(|_| ()),
                "input \"lynx\": not supported: dialect",
            ),
            (
                serde_json::from_str::<Credentials>(&format!("{{\"password\": \"{SECRET}\"}}"))
                    .map(|_| ()),
                "missing field `username`",
            ),
        ];
        for (result, want) in rows {
            let err = result.unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
            assert!(!err.contains(SECRET), "{err}");
        }
    }

    proptest! {
        #[test]
        fn proxies_round_trip_without_their_password(
            scheme in prop::sample::select(&["http", "https", "socks4", "socks4a", "socks5", "socks5h"][..]),
            host in "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
            port in 1u16..,
            user in prop::option::of("[ -~\u{e4}\u{f6}]{0,8}"),
            password in prop::option::of("[ -~\u{e4}\u{f6}]{1,8}"),
        ) {
            let mut proxy: Proxy = format!("{scheme}://{host}:{port}").parse().unwrap();
            if let Some(user) = &user {
                proxy = proxy.with_credentials(Credentials::new(user.clone(), password.as_deref()));
            }
            let json = serde_json::to_string(&proxy).unwrap();
            // The same proxy, with the user name but no password.
            let want = match proxy.credentials() {
                Some(c) if !c.username().is_empty() => proxy
                    .clone()
                    .with_credentials(Credentials::new(c.username(), None)),
                _ => proxy.clone().without_credentials(),
            };
            // Written exactly as the proxy that never had a password.
            prop_assert_eq!(&json, &serde_json::to_string(&want).unwrap());
            // No `user:password@`: the user is percent-encoded, so the only
            // colons are the scheme's and the port's.
            prop_assert_eq!(json.matches(':').count(), 2, "{}", json);
            let back: Proxy = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, want, "{}", json);
        }
    }

    fn settings() -> impl Strategy<Value = ProxySettings> {
        let proxy = (
            prop::sample::select(&["http", "https", "socks4", "socks5h"][..]),
            "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
            1u16..,
            prop::option::of("[a-z]{1,6}"),
        )
            .prop_map(|(scheme, host, port, user)| {
                let user = user.map(|u| format!("{u}@")).unwrap_or_default();
                format!("{scheme}://{user}{host}:{port}")
                    .parse::<Proxy>()
                    .unwrap()
            });
        (
            prop::sample::select(Dialect::ALL.to_vec()),
            any::<bool>(),
            prop::option::of(proxy.clone()),
            prop::option::of(proxy.clone()),
            prop::collection::btree_map("[a-z]{1,5}", proxy, 0..3),
            prop::option::of(prop::sample::select(
                &[
                    "h:1",
                    "http=h:1;https=s:2",
                    "socks=k:1080",
                    "ftp=f:21;socks=k:1080",
                ][..],
            )),
            prop::option::of(prop::sample::select(
                &["localhost", ".corp, 10.0.0.0/8", "a.test:8080"][..],
            )),
            prop::option::of("[a-z]{1,6}"),
            prop::option::of(prop::collection::vec(
                prop::sample::select(&["http", "https", "ws"][..]),
                1..3,
            )),
        )
            .prop_map(
                |(dialect, use_env, proxy, https, schemes, rules, bypass, user, limit)| {
                    let mut s = ProxySettings::default();
                    s.dialect = dialect;
                    s.use_env = use_env;
                    s.proxy = proxy;
                    s.https_proxy = https;
                    s.scheme_proxies = schemes;
                    s.proxy_rules = rules.map(|r| r.parse().unwrap());
                    s.bypass = bypass.map(str::to_owned);
                    s.credentials = user.map(|u| Credentials::new(u, None));
                    s.proxy_schemes = limit.map(|l| l.into_iter().map(str::to_owned).collect());
                    s
                },
            )
            .prop_filter("valid", |s| s.clone().validate().is_ok())
    }

    proptest! {
        #[test]
        fn settings_without_passwords_round_trip(s in settings()) {
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(&serde_json::from_str::<ProxySettings>(&json).unwrap(), &s, "{}", json);
            let toml_text = toml::to_string(&s).unwrap();
            prop_assert_eq!(&toml::from_str::<ProxySettings>(&toml_text).unwrap(), &s, "{}", toml_text);
        }
    }

    const POSTMAN_TOML: &str = r#"
        use_env = false
        dialect = "postman"

        [[postman]]
        id = "corp"
        host = "proxy.corp"
        port = 3128
        bypass = ["http://localhost/*", "*://*.internal:*/*"]
        authenticate = true
        username = "alice"
        password = "hunter2-pw"

        [[postman]]
        host = "socks.corp"
        port = "1080"
        protocol = "socks5"
        match = "https://*.example.com:*/*"
        disabled = true
    "#;

    #[test]
    fn postman_configs_read_from_toml_and_json_alike() {
        let a: ProxySettings = toml::from_str(POSTMAN_TOML).unwrap();
        let json = r#"{"use_env": false, "dialect": "postman", "postman": [
            {"id": "corp", "host": "proxy.corp", "port": 3128,
             "bypass": ["http://localhost/*", "*://*.internal:*/*"],
             "authenticate": true, "username": "alice", "password": "hunter2-pw"},
            {"host": "socks.corp", "port": "1080", "protocol": "socks5",
             "match": "https://*.example.com:*/*", "disabled": true}
        ]}"#;
        let b: ProxySettings = serde_json::from_str(json).unwrap();
        assert_eq!(a, b);
        let list = a.postman.as_ref().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list.configs()[0].id(), Some("corp"));
        assert_eq!(
            list.configs()[1].port(),
            Some(1080),
            "Postman reads \"1080\" as a number"
        );
        assert!(list.configs()[1].is_disabled());
        let resolver = a.build().unwrap();
        assert_eq!(
            resolver.resolve(&t("https://api.example.com/")).to_string(),
            "http://alice:***@proxy.corp:3128"
        );
        let via = resolver.resolve(&t("https://api.example.com/"));
        let password = via.proxy().unwrap().credentials().unwrap().password();
        assert_eq!(password, Some(SECRET));
        let why = resolver.explain(&t("https://db.internal/"));
        assert!(why.route().is_direct());
        assert!(
            why.reason().contains("config 0 bypasses"),
            "{}",
            why.reason()
        );
        assert!(
            why.reason().contains("config 1 is disabled"),
            "{}",
            why.reason()
        );
    }

    #[test]
    fn bad_postman_configs_name_the_config_and_the_field() {
        let rows = [
            (
                "[[postman]]\nhost = \"p\"\n[[postman]]\nhost = \"q\"\nprotocol = \"https\"",
                "postman config 1 protocol \"https\": ignored: Postman accepts only",
            ),
            (
                "[[postman]]\nhost = \"p\"\nport = \"x\"",
                "postman config 0 port \"x\": ignored",
            ),
            (
                "[[postman]]\nhots = \"p\"",
                "postman config 0 \"hots\": ignored: not a ProxyConfig field",
            ),
            (
                "[[postman]]\nhost = 42",
                "postman config 0 host \"42\": ignored: must be a string",
            ),
            (
                "[[postman]]\nhost = \"p\"\ntunnel = \"yes\"",
                "postman config 0 tunnel \"yes\": ignored",
            ),
            (
                "[[postman]]\nhost = \"p\"\npassword = 42",
                "postman config 0 password \"***\": ignored",
            ),
            (
                "[[postman]]\nhost = \"p\"\nport = 70000\nusername = \"u\"\npassword = \"hunter2-pw\"\nauthenticate = true",
                "postman config 0 \"http://p:70000\": invalid port",
            ),
            (
                "postman = [\"p:3128\"]",
                "postman config 0 definition \"p:3128\": ignored: a definition must be an object",
            ),
            ("postman = \"p:3128\"", "invalid type: string \"p:3128\", expected a sequence"),
        ];
        for (text, want) in rows {
            let err = toml::from_str::<ProxySettings>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(!err.contains(SECRET), "{text}: password shown: {err}");
        }
        // Notes are not errors: Postman keeps the host of a URL and says so.
        let s: ProxySettings =
            toml::from_str("[[postman]]\nhost = \"http://p.corp:9\"\nport = 3128").unwrap();
        let resolver = s.build().unwrap();
        assert_eq!(
            resolver.violations().len(),
            1,
            "{:?}",
            resolver.violations()
        );
        assert!(resolver.violations()[0]
            .to_string()
            .starts_with("postman config 0 host \"http://p.corp:9\": note:"));
    }

    #[test]
    fn postman_configs_never_write_their_password() {
        use proxyroute::postman::{ProxyConfig, ProxyConfigList};
        let s: ProxySettings = toml::from_str(POSTMAN_TOML).unwrap();
        let list = s.postman.clone().unwrap();
        assert!(list.configs()[0].has_password());
        let config = &list.configs()[0];
        let texts = [
            serde_json::to_string(&s).unwrap(),
            toml::to_string(&s).unwrap(),
            serde_json::to_string(&list).unwrap(),
            serde_json::to_string(config).unwrap(),
            toml::to_string(config).unwrap(),
            format!("{s:?}"),
            format!("{list:?}"),
        ];
        for text in &texts {
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("alice"), "the user stays: {text}");
        }
        // Read back: the same configs, minus the password.
        let back: ProxySettings = serde_json::from_str(&texts[0]).unwrap();
        let again = &back.postman.as_ref().unwrap().configs()[0];
        assert!(!again.has_password());
        assert_eq!(again.username(), Some("alice"));
        assert_eq!(
            (
                again.id(),
                again.host(),
                again.port(),
                again.bypass_patterns()
            ),
            (
                config.id(),
                config.host(),
                config.port(),
                config.bypass_patterns()
            )
        );
        let from_toml: ProxySettings = toml::from_str(&texts[1]).unwrap();
        assert_eq!(from_toml, back);
        let lone: ProxyConfig = serde_json::from_str(&texts[3]).unwrap();
        assert_eq!(&lone, again);
        let lone_list: ProxyConfigList = serde_json::from_str(&texts[2]).unwrap();
        assert_eq!(&lone_list, back.postman.as_ref().unwrap());
        // TLS to the proxy has no spelling in Postman's JSON: refused, not dropped.
        let https = ProxyConfig::new("p", 1).with_protocol(ProxyScheme::Https);
        let err = serde_json::to_string(&https).unwrap_err().to_string();
        assert!(err.contains("cannot be written"), "{err}");
    }

    fn postman_config() -> impl Strategy<Value = proxyroute::postman::ProxyConfig> {
        use proxyroute::postman::ProxyConfig;
        (
            "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
            1u16..,
            prop::sample::select(
                &[
                    ProxyScheme::Http,
                    ProxyScheme::Socks4,
                    ProxyScheme::Socks4a,
                    ProxyScheme::Socks5,
                    ProxyScheme::Socks5h,
                ][..],
            ),
            prop::sample::select(
                &[
                    "http+https://*:*/*",
                    "https://*.example.com:*/*",
                    "<all_urls>",
                    "http://h/*",
                ][..],
            ),
            prop::collection::vec(
                prop::sample::select(&["http://localhost/*", "*://*.internal:*/*", ""][..]),
                0..3,
            ),
            (any::<bool>(), any::<bool>()),
            prop::option::of(("[a-z]{0,6}", prop::option::of("[ -~]{0,8}"))),
        )
            .prop_map(
                |(host, port, protocol, pattern, bypass, (tunnel, disabled), creds)| {
                    let mut c = ProxyConfig::new(&host, port)
                        .with_protocol(protocol)
                        .with_match(pattern)
                        .with_bypass(bypass)
                        .with_tunnel(tunnel)
                        .with_disabled(disabled);
                    if let Some((user, password)) = creds {
                        c = c.with_credentials(Credentials::new(user, password.as_deref()));
                    }
                    c
                },
            )
    }

    proptest! {
        #[test]
        fn postman_lists_round_trip_without_passwords(
            configs in prop::collection::vec(postman_config(), 0..4)
        ) {
            use proxyroute::postman::ProxyConfigList;
            let list = ProxyConfigList::new(configs);
            let json = serde_json::to_string(&list).unwrap();
            let back: ProxyConfigList = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.len(), list.len());
            for (a, b) in list.configs().iter().zip(back.configs()) {
                prop_assert!(!b.has_password());
                prop_assert_eq!(
                    (a.id(), a.host(), a.port(), a.protocol(), a.match_pattern()),
                    (b.id(), b.host(), b.port(), b.protocol(), b.match_pattern())
                );
                prop_assert_eq!(a.bypass_patterns(), b.bypass_patterns());
                prop_assert_eq!(
                    (a.is_tunnel(), a.is_disabled(), a.is_authenticate(), a.username()),
                    (b.is_tunnel(), b.is_disabled(), b.is_authenticate(), b.username())
                );
            }
            // Written again: exactly the same text, in both formats.
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
            let mut s = ProxySettings::default();
            s.postman = Some(back.clone());
            let toml_text = toml::to_string(&s).unwrap();
            let from_toml: ProxySettings = toml::from_str(&toml_text).unwrap();
            prop_assert_eq!(from_toml.postman.as_ref(), Some(&back), "{}", toml_text);
        }
    }

    fn run_config(args: &[&str]) -> (i32, String, String) {
        let bin = cli::example_bin("config", &["--features", "serde"]);
        let out = std::process::Command::new(bin)
            .args(args)
            .env_clear()
            .output()
            .expect("run the config example");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn the_config_example_reads_both_formats() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let toml_file = format!("{dir}/examples/config/app.toml");
        let (code, out, err) = run_config(&[
            &toml_file,
            "https://api.example.com/",
            "http://db.internal.corp.example/",
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            "https://api.example.com/ -> http://sync-bot:***@proxy.corp.example:3128 (custom:https_proxy)\n\
             http://db.internal.corp.example/ -> DIRECT (custom:bypass)\n"
        );
        assert!(!out.contains("change me"));
        let json_file = format!("{dir}/examples/config/app.json");
        let (code, out, err) =
            run_config(&[&json_file, "ftp://files.example.com/", "http://intranet/"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            "ftp://files.example.com/ -> socks4://socks.corp.example:1080 (custom:proxy-rules socks=)\n\
             http://intranet/ -> DIRECT (custom:bypass)\n"
        );
    }

    #[test]
    fn the_config_example_routes_by_postman_configs_and_prints_notes() {
        let path =
            std::env::temp_dir().join(format!("proxyroute-postman-{}.json", std::process::id()));
        std::fs::write(
            &path,
            format!(
                r#"{{"name": "x", "timeout_seconds": 1, "proxy": {{"use_env": false, "postman": [
                    {{"host": "http://pm.corp:9", "port": 3128, "match": "https://*:*/*",
                      "authenticate": true, "username": "u", "password": "{SECRET}"}}]}}}}"#
            ),
        )
        .unwrap();
        let (code, out, err) = run_config(&[
            path.to_str().unwrap(),
            "https://api.example.com/",
            "http://api.example.com/",
        ]);
        let _ = std::fs::remove_file(&path);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            "https://api.example.com/ -> http://u:***@pm.corp:3128 (custom:postman[0])\n\
             http://api.example.com/ -> DIRECT (none)\n"
        );
        assert!(
            err.contains("note: postman config 0 host \"http://pm.corp:9\": note: Postman keeps only the host"),
            "{err}"
        );
        assert!(!out.contains(SECRET) && !err.contains(SECRET));
    }

    #[test]
    fn the_config_example_rejects_a_bad_proxy_table() {
        let path =
            std::env::temp_dir().join(format!("proxyroute-config-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            format!("name = \"x\"\ntimeout_seconds = 1\n[proxy]\nhttps_proxy = \"http://u:{SECRET}@proxy:99999\"\n"),
        )
        .unwrap();
        let (code, out, err) = run_config(&[path.to_str().unwrap(), "https://a.test/"]);
        assert_eq!(code, 2, "{out}");
        assert!(
            err.contains("https_proxy \"http://u:***@proxy:99999\": invalid port"),
            "{err}"
        );
        assert!(err.contains("line 3"), "the TOML position is kept: {err}");
        assert!(!err.contains(SECRET));
        assert!(out.is_empty());
    }
}

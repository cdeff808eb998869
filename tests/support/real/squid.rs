//! squid for the tests: Basic or Digest auth, CONNECT rules, a denying ACL,
//! ssl_bump with a CA of the test's, plain or over TLS.

#![allow(dead_code, unreachable_pub)]

use super::*;

// ---------------------------------------------------------------------------
// squid

/// What a squid is configured to do; the default: plain HTTP on a loopback
/// port, no auth (any loopback client), CONNECT to any port, connecting out
/// from 127.0.0.1.
#[derive(Default)]
pub struct SquidConfig<'a> {
    /// Basic auth users (through basic_ncsa_auth); none: no Basic.
    pub users: &'a [(&'a str, &'a str)],
    /// Digest auth users (through digest_file_auth); none: no Digest. Takes
    /// the place of Basic.
    pub digest_users: &'a [(&'a str, &'a str)],
    /// The ports CONNECT may reach (`Some(&[])`: CONNECT is refused); `None`:
    /// no CONNECT rule.
    pub tunnel_ports: Option<&'a [u16]>,
    /// `tcp_outgoing_address`: where requests reach the origin from.
    pub outgoing: Option<Ipv4Addr>,
    /// A destination domain every request to is denied.
    pub deny_domain: Option<&'a str>,
    /// ssl_bump on the `http_port` with the first CA, trusting the second for
    /// the origins.
    pub bump: Option<(&'a Ca, &'a Ca)>,
    /// Listen with TLS (`https_port`, an HTTPS proxy) with this certificate
    /// and key (PEM).
    pub https: Option<(&'a Path, &'a Path)>,
}

/// A squid on a loopback port with its own configuration, logs and (for
/// auth) password file in a temporary directory, killed when dropped.
pub struct Squid {
    pub run: Running,
    pub port: u16,
    pub service: String,
    pub dir: TempDir,
    /// How many access log lines each needle should have by now.
    pub expected: Mutex<Vec<(String, usize)>>,
}

impl Squid {
    /// `users`: Basic auth users (none: no auth). `tunnel_ports`: the ports
    /// CONNECT may reach (none: CONNECT is refused). Connects out from
    /// [`SQUID_PEER`].
    pub fn start(users: &[(&str, &str)], tunnel_ports: &[u16]) -> Squid {
        Squid::start_with(&SquidConfig {
            users,
            tunnel_ports: Some(tunnel_ports),
            outgoing: Some(SQUID_PEER),
            ..SquidConfig::default()
        })
    }

    /// The same, listening with TLS (`https_port`) with this certificate and
    /// key (PEM), as an HTTPS proxy.
    pub fn start_tls(
        users: &[(&str, &str)],
        tunnel_ports: &[u16],
        cert_key: (&Path, &Path),
    ) -> Squid {
        Squid::start_with(&SquidConfig {
            users,
            tunnel_ports: Some(tunnel_ports),
            outgoing: Some(SQUID_PEER),
            https: Some(cert_key),
            ..SquidConfig::default()
        })
    }

    pub fn start_with(config: &SquidConfig<'_>) -> Squid {
        assert!(
            config.bump.is_none() || config.https.is_none(),
            "squid: ssl_bump (on an http_port) and https_port are not both supported"
        );
        let dir = TempDir::new("squid");
        let passwd = dir.join("passwd");
        for (i, (user, password)) in config.users.iter().enumerate() {
            let mut cmd = Command::new(program(HTPASSWD));
            cmd.args(if i == 0 { &["-c"][..] } else { &[][..] })
                .args(["-i", "-m"])
                .arg(&passwd)
                .arg(user)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("run htpasswd");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(password.as_bytes())
                .unwrap();
            let out = child.wait_with_output().expect("htpasswd");
            assert!(
                out.status.success(),
                "htpasswd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let digest = dir.join("digest");
        if !config.digest_users.is_empty() {
            let lines: String = config
                .digest_users
                .iter()
                .map(|(user, password)| format!("{user}:{password}\n"))
                .collect();
            std::fs::write(&digest, lines).expect("write the digest password file");
        }
        let ssl_db = dir.join("ssl_db");
        if config.bump.is_some() {
            let mut certgen = Command::new(program(CERTGEN));
            certgen.arg("-c").arg("-s").arg(&ssl_db).args(["-M", "4MB"]);
            run_ok(certgen, "security_file_certgen -c");
            let mut chmod = Command::new("chmod");
            chmod.arg("-R").arg("a+rwX").arg(&ssl_db);
            run_ok(chmod, "chmod the certificate database");
        }
        for _attempt in 0..5 {
            let port = free_port();
            let service = unique_name();
            let d = |name: &str| dir.join(name).display().to_string();
            let (listen, listening) = match (config.https, config.bump) {
                (Some((cert, key)), _) => (
                    format!(
                        "https_port 127.0.0.1:{port} tls-cert={} tls-key={}",
                        cert.display(),
                        key.display()
                    ),
                    "Accepting HTTPS Socket connections at conn",
                ),
                (None, Some((ca, origin_ca))) => (
                    format!(
                        "http_port 127.0.0.1:{port} ssl-bump tls-cert={} tls-key={} \
                         generate-host-certificates=on dynamic_cert_mem_cache_size=4MB\n\
                         sslcrtd_program {} -s {} -M 4MB\n\
                         sslcrtd_children 2 startup=1 idle=1\n\
                         tls_outgoing_options cafile={}\n\
                         acl step1 at_step SslBump1\n\
                         ssl_bump peek step1\n\
                         ssl_bump bump all",
                        ca.cert.display(),
                        ca.key.display(),
                        program(CERTGEN).display(),
                        ssl_db.display(),
                        origin_ca.cert.display(),
                    ),
                    "Accepting SSL bumped HTTP Socket connections at conn",
                ),
                (None, None) => (
                    format!("http_port 127.0.0.1:{port}"),
                    "Accepting HTTP Socket connections at conn",
                ),
            };
            let mut conf = format!(
                "{listen}\n\
                 visible_hostname proxyroute-{service}\n\
                 pid_filename {pid}\n\
                 cache_log {cache_log}\n\
                 access_log stdio:{access_log}\n\
                 coredump_dir {dir}\n\
                 cache deny all\n\
                 cache_mem 0 MB\n\
                 dns_nameservers 127.0.0.1\n\
                 pinger_enable off\n\
                 shutdown_lifetime 0 seconds\n",
                pid = d("squid.pid"),
                cache_log = d("cache.log"),
                access_log = d("access.log"),
                dir = dir.0.display(),
            );
            if let Some(address) = config.outgoing {
                let _ = writeln!(conf, "tcp_outgoing_address {address}");
            }
            match config.tunnel_ports {
                None => {}
                Some([]) => conf.push_str("acl CONNECT method CONNECT\nhttp_access deny CONNECT\n"),
                Some(ports) => {
                    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
                    let _ = writeln!(
                        conf,
                        "acl CONNECT method CONNECT\n\
                         acl tunnel_ports port {}\n\
                         http_access deny CONNECT !tunnel_ports",
                        ports.join(" ")
                    );
                }
            }
            if let Some(domain) = config.deny_domain {
                let _ = writeln!(
                    conf,
                    "acl denied dstdomain {domain}\nhttp_access deny denied"
                );
            }
            let auth = if !config.digest_users.is_empty() {
                Some(("digest", DIGEST_AUTH, &digest))
            } else if !config.users.is_empty() {
                Some(("basic", NCSA_AUTH, &passwd))
            } else {
                None
            };
            match auth {
                None => conf.push_str("acl loopback src 127.0.0.0/8\nhttp_access allow loopback\n"),
                Some((scheme, helper, file)) => {
                    let _ = write!(
                        conf,
                        "auth_param {scheme} program {} {}\n\
                         auth_param {scheme} children 2\n\
                         auth_param {scheme} realm proxyroute-test\n\
                         acl authed proxy_auth REQUIRED\n\
                         http_access allow authed\n",
                        program(helper).display(),
                        file.display()
                    );
                }
            }
            conf.push_str("http_access deny all\n");
            let conf_path = dir.join(&format!("{service}.conf"));
            std::fs::write(&conf_path, conf).expect("write squid.conf");
            let out = std::fs::File::create(dir.join("squid.out")).expect("squid.out");
            // -N: stay in the foreground, one process; -n: a service name of its
            // own, which names its shared memory segments, so that several squids
            // run side by side.
            let child = Command::new(program(SQUID))
                .args(["-N", "-n", &service, "-f"])
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start squid");
            let mut run = Running {
                child,
                what: format!("squid on port {port}"),
            };
            let local = format!("local=127.0.0.1:{port} ");
            let cache_log = dir.join("cache.log");
            let ready = || {
                let log = std::fs::read_to_string(&cache_log).unwrap_or_default();
                log.lines()
                    .any(|l| l.contains(listening) && l.contains(&local))
                    && accepts(port)
            };
            match wait_ready(&mut run, ready) {
                Ok(()) => {
                    return Squid {
                        run,
                        port,
                        service,
                        dir,
                        expected: Mutex::new(Vec::new()),
                    }
                }
                Err(e) => {
                    drop(run);
                    remove_shm(&service);
                    eprintln!(
                        "{e}; trying another port. squid said:\n{}{}",
                        std::fs::read_to_string(dir.join("squid.out")).unwrap_or_default(),
                        std::fs::read_to_string(dir.join("cache.log")).unwrap_or_default()
                    );
                }
            }
        }
        panic!("squid did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!(
            "http://{}:{}@127.0.0.1:{}",
            pct(user),
            pct(password),
            self.port
        )
    }

    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// Waits for the access log line of the request just sent, the next line
    /// holding `needle` (squid writes a tunnel's line only when it closes, so a
    /// count taken before the request could still miss the line of the last
    /// one), and returns it.
    pub fn logged(&self, needle: &str) -> String {
        let nth = {
            let mut expected = self.expected.lock().unwrap();
            match expected.iter_mut().find(|(n, _)| n == needle) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    expected.push((needle.to_owned(), 1));
                    1
                }
            }
        };
        eventually(
            &format!("squid access.log line {nth} with {needle:?}"),
            || {
                self.access_log()
                    .lines()
                    .filter(|l| l.contains(needle))
                    .nth(nth - 1)
                    .map(str::to_owned)
            },
        )
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        let _ = self.run.child.kill();
        let _ = self.run.child.wait();
        remove_shm(&self.service);
    }
}

/// A killed squid leaves its shared memory segments (`/dev/shm/<service>-*`).
pub fn remove_shm(service: &str) {
    let prefix = format!("{service}-");
    if let Ok(entries) = std::fs::read_dir("/dev/shm") {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

//! SOCKS servers for the tests: microsocks (SOCKS5) and Dante (SOCKS4).

#![allow(dead_code, unreachable_pub)]

use super::*;

// ---------------------------------------------------------------------------
// microsocks

/// microsocks on a loopback port, logging each connection ("connected to
/// HOST:PORT") to a file; killed when dropped.
pub struct Microsocks {
    pub _run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl Microsocks {
    /// Connecting out from [`SOCKS_PEER`].
    pub fn start(auth: Option<(&str, &str)>) -> Microsocks {
        Microsocks::start_with(auth, Some(SOCKS_PEER), None)
    }

    /// `outgoing`: the address it connects out from (`-b`; none: 127.0.0.1).
    /// `hosts`: `/etc/hosts` lines that only it sees (it runs in a mount
    /// namespace of its own, see [`with_own_hosts`]).
    pub fn start_with(
        auth: Option<(&str, &str)>,
        outgoing: Option<Ipv4Addr>,
        hosts: Option<&str>,
    ) -> Microsocks {
        let dir = TempDir::new("microsocks");
        let microsocks = program(MICROSOCKS);
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("log")).expect("microsocks log");
            let mut cmd = match hosts {
                None => Command::new(&microsocks),
                Some(lines) => with_own_hosts(&dir, lines, &microsocks),
            };
            cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
            if let Some(address) = outgoing {
                cmd.args(["-b", &address.to_string()]);
            }
            if let Some((user, password)) = auth {
                cmd.args(["-u", user, "-P", password]);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start microsocks");
            let mut run = Running {
                child,
                what: format!("microsocks on port {port}"),
            };
            match wait_ready(&mut run, || accepts(port)) {
                Ok(()) => {
                    return Microsocks {
                        _run: run,
                        port,
                        dir,
                    }
                }
                Err(e) => eprintln!("{e}; trying another port"),
            }
        }
        panic!("microsocks did not start");
    }

    pub fn url(&self, scheme: &str, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((user, password)) => format!(
                "{scheme}://{}:{}@127.0.0.1:{}",
                pct(user),
                pct(password),
                self.port
            ),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Dante

/// Dante's SOCKS server (`danted`, SOCKS4 and SOCKS5, no auth) on a loopback
/// port, connecting out from 127.0.0.4, logging each connection; stopped with
/// SIGTERM (its worker processes end with it) when dropped.
/// `.ci/install-adapters.sh` installs it.
pub struct Dante {
    pub run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl Dante {
    pub fn start() -> Dante {
        let dir = TempDir::new("dante");
        for _attempt in 0..5 {
            let port = free_port();
            let conf = format!(
                "logoutput: {log}\n\
                 internal: 127.0.0.1 port = {port}\n\
                 external: {DANTE_PEER}\n\
                 socksmethod: none\n\
                 clientmethod: none\n\
                 user.privileged: root\n\
                 user.unprivileged: nobody\n\
                 client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}}\n\
                 socks pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n  log: connect error\n}}\n",
                log = dir.join("log").display()
            );
            let _ = std::fs::remove_file(dir.join("log"));
            let conf_path = dir.join("sockd.conf");
            std::fs::write(&conf_path, conf).expect("write sockd.conf");
            let out = std::fs::File::create(dir.join("out")).expect("danted output");
            let child = Command::new(program(DANTED))
                .arg("-f")
                .arg(&conf_path)
                .args(["-N", "1", "-p"])
                .arg(dir.join("pid"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start danted");
            let mut run = Running {
                child,
                what: format!("danted on port {port}"),
            };
            let log = dir.join("log");
            let ready = || {
                std::fs::read_to_string(&log).is_ok_and(|l| l.contains(" running")) && accepts(port)
            };
            match wait_ready(&mut run, ready) {
                Ok(()) => return Dante { run, port, dir },
                Err(e) => eprintln!(
                    "{e}; trying another port. It said:\n{}",
                    std::fs::read_to_string(dir.join("out")).unwrap_or_default()
                ),
            }
        }
        panic!("danted did not start");
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Dante {
    /// SIGTERM first: `Running`'s SIGKILL would leave the workers behind.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.run.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.run.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

//! OpenSSH's dynamic forwarding (`ssh -D`) as a SOCKS4, SOCKS4a and SOCKS5
//! proxy: a private `sshd` on a loopback port (its own host key, an
//! authorized client key, configuration and log in a temporary directory)
//! and an `ssh -N -D` logged in to it. `.ci/install-adapters.sh` installs
//! both.
//!
//! The `ssh` client takes the SOCKS request and asks `sshd` to open the
//! connection (a `direct-tcpip` channel naming the host as the client sent it,
//! a name or an address); `sshd` resolves the name and connects. sshd's
//! `LogLevel DEBUG` log records each request's target, which the tests read
//! to tell a name sent to the proxy from an address.

#![allow(dead_code, unreachable_pub)]

use super::*;

pub const SSHD: &str = "sshd";
pub const SSH: &str = "ssh";
pub const SSH_KEYGEN: &str = "ssh-keygen";

/// sshd and `ssh -D` on loopback ports, both killed when dropped.
pub struct SshSocks {
    /// The SOCKS port (`ssh -D`).
    pub port: u16,
    pub sshd_port: u16,
    // Dropped in order: the client first, then the server.
    ssh: Running,
    sshd: Running,
    pub dir: TempDir,
}

impl SshSocks {
    /// `hosts`: `/etc/hosts` lines that only sshd sees (it runs in a mount
    /// namespace of its own, `unshare -m`, with that file bound over
    /// `/etc/hosts`), so that a name resolves on the proxy's side only.
    pub fn start(hosts: Option<&str>) -> SshSocks {
        let dir = TempDir::new("sshd");
        keygen(&dir.join("host_key"));
        keygen(&dir.join("client_key"));
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys"))
            .expect("authorize the client key");
        // sshd checks that its privilege separation directory exists.
        if !Path::new("/run/sshd").is_dir() {
            std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        }
        let user = current_user();
        for _attempt in 0..5 {
            let sshd_port = free_port();
            let Some(sshd) = start_sshd(&dir, sshd_port, hosts) else {
                continue;
            };
            let port = free_port();
            let ssh = start_ssh(&dir, sshd_port, port, &user);
            match ssh {
                Ok(ssh) => {
                    return SshSocks {
                        port,
                        sshd_port,
                        ssh,
                        sshd,
                        dir,
                    }
                }
                Err(e) => eprintln!(
                    "{e}; trying other ports. ssh said:\n{}\nsshd said:\n{}",
                    std::fs::read_to_string(dir.join("ssh.out")).unwrap_or_default(),
                    std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
                ),
            }
        }
        panic!(
            "sshd and ssh -D did not start. sshd said:\n{}",
            std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// sshd's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// The targets sshd was asked to connect to, `host:port`, in order, as
    /// its log has them (`server_request_direct_tcpip: originator ...,
    /// target HOST port PORT`).
    pub fn targets(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("server_request_direct_tcpip"))
            .filter_map(|l| {
                let rest = &l[l.find(" target ")? + " target ".len()..];
                let mut words = rest.split_whitespace();
                let host = words.next()?;
                let port = words.nth(1)?;
                Some(format!("{host}:{port}"))
            })
            .collect()
    }
}

fn keygen(path: &Path) {
    let mut cmd = Command::new(program(SSH_KEYGEN));
    cmd.args([
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "proxyroute-test",
        "-f",
    ])
    .arg(path);
    let out = run_command(cmd, "ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn current_user() -> String {
    let mut id = Command::new("id");
    id.arg("-un");
    let out = run_command(id, "id -un");
    assert!(out.status.success(), "id -un failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// sshd on `port`, or `None` when it exited before listening (the port was
/// taken).
fn start_sshd(dir: &TempDir, port: u16, hosts: Option<&str>) -> Option<Running> {
    let d = |name: &str| dir.join(name).display().to_string();
    let conf = format!(
        "ListenAddress 127.0.0.1:{port}\n\
         HostKey {host_key}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {authorized}\n\
         StrictModes no\n\
         UsePAM no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\n\
         PermitRootLogin prohibit-password\n\
         AllowTcpForwarding yes\n\
         X11Forwarding no\n\
         PermitTTY no\n\
         LogLevel DEBUG\n",
        host_key = d("host_key"),
        pid = d("sshd.pid"),
        authorized = d("authorized_keys"),
    );
    let conf_path = dir.join("sshd_config");
    std::fs::write(&conf_path, conf).expect("write sshd_config");
    let _ = std::fs::remove_file(dir.join("sshd.log"));
    // sshd re-executes itself, so it must be started by its absolute path.
    let sshd = program(SSHD);
    assert!(sshd.is_absolute(), "{}", sshd.display());
    let mut cmd = match hosts {
        None => Command::new(&sshd),
        Some(lines) => with_own_hosts(dir, lines, &sshd),
    };
    cmd.arg("-D")
        .arg("-E")
        .arg(dir.join("sshd.log"))
        .arg("-f")
        .arg(&conf_path);
    let out = std::fs::File::create(dir.join("sshd.out")).expect("sshd.out");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start sshd");
    let mut run = Running {
        child,
        what: format!("sshd on port {port}"),
    };
    let listening = format!("Server listening on 127.0.0.1 port {port}.");
    let log = dir.join("sshd.log");
    let ready =
        || std::fs::read_to_string(&log).is_ok_and(|l| l.contains(&listening)) && accepts(port);
    match wait_ready(&mut run, ready) {
        Ok(()) => Some(run),
        Err(e) => {
            eprintln!(
                "{e}. It said:\n{}{}",
                std::fs::read_to_string(dir.join("sshd.out")).unwrap_or_default(),
                std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
            );
            None
        }
    }
}

/// `ssh -N -D 127.0.0.1:socks_port` logged in to the sshd on `sshd_port`.
fn start_ssh(
    dir: &TempDir,
    sshd_port: u16,
    socks_port: u16,
    user: &str,
) -> Result<Running, String> {
    let out = std::fs::File::create(dir.join("ssh.out")).expect("ssh.out");
    let child = Command::new(program(SSH))
        .args(["-F", "/dev/null", "-N", "-D"])
        .arg(format!("127.0.0.1:{socks_port}"))
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "LogLevel=ERROR",
            "-i",
        ])
        .arg(dir.join("client_key"))
        .args(["-p", &sshd_port.to_string()])
        .arg(format!("{user}@127.0.0.1"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start ssh");
    let mut run = Running {
        child,
        what: format!("ssh -D on port {socks_port}"),
    };
    wait_ready(&mut run, || accepts(socks_port))?;
    Ok(run)
}

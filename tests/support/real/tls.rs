//! A CA made for the test, and an HTTPS origin signed by it.

#![allow(dead_code, unreachable_pub)]

use super::*;

// ---------------------------------------------------------------------------
// A test CA and TLS servers

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed by .ci/install-proxies.sh");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA made for the test and a certificate it signed for `localhost` and
/// 127.0.0.1, in a temporary directory readable by squid's user.
pub struct TestCa {
    pub dir: TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = TempDir::new("ca");
        let d = &dir.0;
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=proxyroute test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        );
        std::fs::write(
            d.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
                "-out",
                "cert.pem",
            ],
        );
        use std::os::unix::fs::PermissionsExt;
        for name in ["cert.pem", "key.pem", "ca.pem"] {
            std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        TestCa { dir }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).unwrap()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// `openssl s_server -WWW` on 127.0.0.1 serving files written into its
/// directory over TLS with the test CA's certificate; killed when dropped.
pub struct TlsOrigin {
    pub run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl TlsOrigin {
    pub fn start(ca: &TestCa) -> TlsOrigin {
        let dir = TempDir::new("tls-origin");
        for _attempt in 0..5 {
            let port = free_port();
            let child = Command::new("openssl")
                .args(["s_server", "-WWW", "-quiet", "-accept"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(ca.cert())
                .arg("-key")
                .arg(ca.key())
                .current_dir(&dir.0)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start openssl s_server");
            let mut run = Running {
                child,
                what: format!("openssl s_server on port {port}"),
            };
            match wait_ready(&mut run, || accepts(port)) {
                Ok(()) => return TlsOrigin { run, port, dir },
                Err(e) => eprintln!("{e}; trying another port"),
            }
        }
        panic!("openssl s_server did not start");
    }

    /// Serves `body` at `/name` from now on; the URL for `host`.
    pub fn serve(&self, host: &str, name: &str, body: &str) -> String {
        std::fs::write(self.dir.join(name), body).unwrap();
        format!("https://{host}:{}/{name}", self.port)
    }
}

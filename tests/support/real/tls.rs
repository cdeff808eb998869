//! Certificates made for the test with the openssl CLI (a CA, and server
//! certificates it signs for `localhost` and 127.0.0.1), and HTTPS origins
//! (`openssl s_server`) that present them.

#![allow(dead_code, unreachable_pub)]

use super::*;

// ---------------------------------------------------------------------------
// Certificates

/// A CA made with the openssl CLI: `name.pem` and `name.key` in a directory,
/// readable by squid's user (which signs with a bumping CA's key).
pub struct Ca {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The subject as a certificate's issuer shows it.
    pub subject: String,
}

impl Ca {
    pub fn new(dir: &TempDir, name: &str, common_name: &str) -> Ca {
        let cert = dir.join(&format!("{name}.pem"));
        let key = dir.join(&format!("{name}.key"));
        let mut req = Command::new("openssl");
        req.args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", &format!("/O=proxyroute tests/CN={common_name}")])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert);
        run_ok(req, "openssl req (CA)");
        readable(&[&cert, &key]);
        Ca {
            cert,
            key,
            subject: format!("O=proxyroute tests, CN={common_name}"),
        }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).unwrap()
    }

    /// A server certificate it signs for localhost and 127.0.0.1, as
    /// `name.pem` and `name.key` in `dir`: (cert, key) paths.
    pub fn leaf(&self, dir: &TempDir, name: &str) -> (PathBuf, PathBuf) {
        let key = dir.join(&format!("{name}.key"));
        let csr = dir.join(&format!("{name}.csr"));
        let cert = dir.join(&format!("{name}.pem"));
        let ext = dir.join(&format!("{name}.ext"));
        let mut req = Command::new("openssl");
        req.args(["req", "-newkey", "rsa:2048", "-nodes"])
            .args(["-subj", "/CN=localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr);
        run_ok(req, "openssl req (leaf)");
        std::fs::write(
            &ext,
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        let mut sign = Command::new("openssl");
        sign.args(["x509", "-req", "-days", "2", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&self.cert)
            .arg("-CAkey")
            .arg(&self.key)
            .arg("-CAcreateserial")
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&cert);
        run_ok(sign, "openssl x509 (leaf)");
        // squid, running as its own user, reads an https_port's key.
        readable(&[&cert, &key]);
        (cert, key)
    }
}

fn readable(paths: &[&Path]) {
    use std::os::unix::fs::PermissionsExt;
    for path in paths {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .expect("make a certificate file readable");
    }
}

/// A CA made for the test and a certificate it signed for `localhost` and
/// 127.0.0.1, in a temporary directory of their own.
pub struct TestCa {
    pub ca: Ca,
    cert: PathBuf,
    key: PathBuf,
    pub dir: TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = TempDir::new("ca");
        let ca = Ca::new(&dir, "ca", "proxyroute test CA");
        let (cert, key) = ca.leaf(&dir, "leaf");
        TestCa { ca, cert, key, dir }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        self.ca.pem()
    }

    pub fn cert(&self) -> PathBuf {
        self.cert.clone()
    }

    pub fn key(&self) -> PathBuf {
        self.key.clone()
    }
}

// ---------------------------------------------------------------------------
// HTTPS origins

/// `openssl s_server` on 127.0.0.1 with a certificate and key; killed when
/// dropped.
pub struct TlsOrigin {
    pub run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl TlsOrigin {
    /// `s_server -WWW` with the test CA's certificate: serves the files
    /// written with [`TlsOrigin::serve`].
    pub fn start(ca: &TestCa) -> TlsOrigin {
        TlsOrigin::launch("-WWW", &ca.cert(), &ca.key())
    }

    /// `s_server -www` with this certificate and key: a status page for any
    /// GET.
    pub fn status_page(cert: &Path, key: &Path) -> TlsOrigin {
        TlsOrigin::launch("-www", cert, key)
    }

    fn launch(mode: &str, cert: &Path, key: &Path) -> TlsOrigin {
        let dir = TempDir::new("tls-origin");
        for _attempt in 0..5 {
            let port = free_port();
            let child = Command::new("openssl")
                .args(["s_server", mode, "-quiet", "-accept"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
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

    /// Serves `body` at `/name` from now on (`-WWW` only); the URL for `host`.
    pub fn serve(&self, host: &str, name: &str, body: &str) -> String {
        std::fs::write(self.dir.join(name), body).unwrap();
        format!("https://{host}:{}/{name}", self.port)
    }
}

//! TLS through rustls (ring): the handshake, and which roots the server's
//! certificate verifies against (the system store, Mozilla's public list,
//! the extra roots), so that a local or intercepting CA can be named.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme, StreamOwned,
};

use super::der;
use super::diagnosis::{CertProblem, Problem, TlsInfo, Trust};
use super::net::{self, Stream};

/// The verifiers, built once per probe.
#[derive(Debug)]
pub(crate) struct Roots {
    provider: Arc<CryptoProvider>,
    system: Option<Arc<WebPkiServerVerifier>>,
    public: Option<Arc<WebPkiServerVerifier>>,
    extra: Option<Arc<WebPkiServerVerifier>>,
}

fn verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Option<Arc<WebPkiServerVerifier>> {
    if roots.is_empty() {
        return None;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok()
}

impl Roots {
    /// Reads the system store (files, on Linux) and builds the verifiers.
    pub(crate) fn load(extra: &[CertificateDer<'static>]) -> Roots {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut system = RootCertStore::empty();
        system.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let mut public = RootCertStore::empty();
        public.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut extras = RootCertStore::empty();
        extras.add_parsable_certificates(extra.iter().cloned());
        Roots {
            system: verifier(system, &provider),
            public: verifier(public, &provider),
            extra: verifier(extras, &provider),
            provider,
        }
    }
}

/// What the verifier saw: the certificate's names and trust.
#[derive(Debug, Default)]
struct Seen(Mutex<Option<(String, String, Trust)>>);

#[derive(Debug)]
struct Recorder {
    roots: Arc<Roots>,
    seen: Arc<Seen>,
}

fn cert_problem(e: &rustls::Error) -> CertProblem {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertProblem::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertProblem::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertProblem::WrongName
            }
            other => CertProblem::Other(format!("{other:?}")),
        },
        other => CertProblem::Other(other.to_string()),
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let check = |v: &Option<Arc<WebPkiServerVerifier>>| {
            v.as_ref().map(|v| {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                    .map(|_| ())
            })
        };
        let system = check(&self.roots.system);
        let public = check(&self.roots.public);
        let extra = check(&self.roots.extra);
        let ok = |r: &Option<Result<(), rustls::Error>>| matches!(r, Some(Ok(())));
        let trust = if ok(&system) {
            if ok(&public) {
                Trust::Public
            } else {
                Trust::SystemStoreOnly
            }
        } else if ok(&extra) {
            Trust::ExtraRoots
        } else if ok(&public) && system.is_none() {
            Trust::Public
        } else {
            let problems: Vec<CertProblem> = [&system, &extra, &public]
                .into_iter()
                .filter_map(|r| r.as_ref().and_then(|r| r.as_ref().err()))
                .map(cert_problem)
                .collect();
            let problem = problems
                .iter()
                .find(|p| **p != CertProblem::UnknownIssuer)
                .or(problems.first())
                .cloned()
                .unwrap_or(CertProblem::UnknownIssuer);
            Trust::Untrusted(problem)
        };
        let (subject, issuer) = der::names(end_entity.as_ref())
            .unwrap_or_else(|| ("(unreadable)".to_owned(), "(unreadable)".to_owned()));
        let trusted = trust.is_trusted();
        *self.seen.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((subject, issuer, trust));
        if trusted {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.roots.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.roots.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.roots
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS handshake with `server` over `stream`; the stream that carries the
/// TLS session, and what the certificate showed. The interception verdict is
/// left to the caller, which knows whether a proxy is in the way.
pub(crate) fn handshake(
    stream: Box<dyn Stream>,
    server: &str,
    roots: &Arc<Roots>,
    timeout: Duration,
) -> Result<(Box<dyn Stream>, TlsInfo), Problem> {
    let name = ServerName::try_from(server.to_owned()).map_err(|e| Problem::Tls {
        detail: format!("{server} is not a valid TLS server name ({e})"),
    })?;
    let seen = Arc::new(Seen::default());
    let recorder = Recorder {
        roots: roots.clone(),
        seen: seen.clone(),
    };
    let mut config = ClientConfig::builder_with_provider(roots.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Problem::Tls {
            detail: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(recorder))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let conn = ClientConnection::new(Arc::new(config), name).map_err(|e| Problem::Tls {
        detail: e.to_string(),
    })?;
    let mut tls = StreamOwned::new(conn, stream);
    let mut result = Ok(());
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            result = Err(e);
            break;
        }
    }
    let info =
        seen.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .map(|(subject, issuer, trust)| TlsInfo {
                server: server.to_owned(),
                subject,
                issuer,
                trust,
                interception: None,
            });
    match (result, info) {
        (Ok(()), Some(info)) => Ok((Box::new(tls), info)),
        (_, Some(info)) if !info.trust.is_trusted() => Err(Problem::TlsUntrusted(info)),
        (Err(e), _) => Err(
            match e.get_ref().and_then(|r| r.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidMessage(_)) => Problem::NotTls { proxy: false },
                Some(tls_error) => Problem::Tls {
                    detail: tls_error.to_string(),
                },
                None => net::problem(&e, timeout),
            },
        ),
        (Ok(()), None) => Err(Problem::Tls {
            detail: "the handshake ended without a certificate".to_owned(),
        }),
    }
}

/// Parses PEM certificates; `Err` names what is wrong.
pub(crate) fn parse_pem(text: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(text) {
        certs.push(cert.map_err(|e| format!("not PEM: {e}"))?);
    }
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned());
    }
    let mut store = RootCertStore::empty();
    let (_, bad) = store.add_parsable_certificates(certs.iter().cloned());
    if bad > 0 {
        return Err(format!("{bad} of its certificates cannot be used as roots"));
    }
    Ok(certs)
}

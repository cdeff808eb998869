//! Walking one hop: look up, connect, `CONNECT` or SOCKS, TLS, `GET`, each
//! as a recorded step with its own deadline.

use std::time::{Duration, Instant};

use super::diagnosis::{CertProblem, Finding, Interception, Problem, SocksMethod, TlsInfo, Trust};
use super::net::{self, Deadline, Stream, Timed};
use super::socks::{self, Dest};
use super::{http, tls, Attempt, Outcome, Prober, Step, StepKind};
use crate::proxy::{Proxy, ProxyScheme};
use crate::route::Hop;
use crate::target::Target;

/// Probes one hop, step by step, until a step fails or the origin answers.
pub(super) fn attempt(prober: &Prober<'_>, hop: Hop<'_>, want: &Want<'_>) -> Attempt {
    let mut run = Run {
        prober,
        steps: Vec::new(),
        deadline: Deadline::new(prober.timeout),
    };
    let _ = match hop {
        Hop::Proxy(proxy) => run.via_proxy(proxy, want),
        _ => run.direct(want),
    };
    Attempt {
        hop: hop.to_string(),
        steps: run.steps,
    }
}

/// What the URL asks for.
pub(super) struct Want<'a> {
    pub(super) target: &'a Target,
    pub(super) port: u16,
    pub(super) tls: bool,
    pub(super) path: String,
}

impl Want<'_> {
    /// `host:port` as `CONNECT` and `Host` write it.
    fn authority(&self) -> String {
        format!("{}:{}", self.target.host_in_url(), self.port)
    }

    fn host_header(&self) -> String {
        if self.target.has_explicit_port() {
            self.authority()
        } else {
            self.target.host_in_url().to_owned()
        }
    }
}

/// A marker: the step failed and was recorded; stop this hop.
struct Stop;

/// One hop being probed.
struct Run<'p, 'r> {
    prober: &'p Prober<'r>,
    steps: Vec<Step>,
    deadline: Deadline,
}

const USER_AGENT: &str = concat!("proxyroute-probe/", env!("CARGO_PKG_VERSION"));

impl Run<'_, '_> {
    /// Runs one step with a fresh deadline and records it.
    fn step<T>(
        &mut self,
        kind: StepKind,
        target: String,
        f: impl FnOnce(&mut Self) -> std::result::Result<(T, Finding), Problem>,
    ) -> std::result::Result<T, Stop> {
        self.deadline.restart(self.prober.timeout);
        let start = Instant::now();
        let result = f(self);
        let elapsed = start.elapsed();
        let (value, outcome) = match result {
            Ok((value, finding)) => (Ok(value), Outcome::Done(finding)),
            Err(problem) => (Err(Stop), Outcome::Failed(problem)),
        };
        self.steps.push(Step {
            kind,
            target,
            elapsed,
            outcome,
        });
        value
    }

    fn timeout(&self) -> Duration {
        self.prober.timeout
    }

    /// Looks up and connects to `host:port`; `proxy_name` when it is a proxy.
    fn open(
        &mut self,
        host: &str,
        port: u16,
        proxy_name: bool,
    ) -> std::result::Result<Box<dyn Stream>, Stop> {
        let timeout = self.timeout();
        let addrs = match host.parse::<std::net::IpAddr>() {
            // An address needs no lookup, and gets no step.
            Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
            Err(_) => self.step(StepKind::Resolve, host.to_owned(), |_| {
                let addrs = net::resolve(host, port, timeout, proxy_name)?;
                let ips = addrs.iter().map(|a| a.ip()).collect();
                Ok((addrs, Finding::Resolved { addrs: ips }))
            })?,
        };
        let shown = match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{host}]:{port}"),
            Err(_) => format!("{host}:{port}"),
        };
        let sock = self.step(StepKind::Connect, shown, |_| {
            let sock = net::connect(&addrs, timeout)?;
            let addr = sock.peer_addr().map_err(|e| net::problem(&e, timeout))?;
            Ok((sock, Finding::Connected { addr }))
        })?;
        Ok(Box::new(Timed::new(sock, self.deadline.clone())))
    }

    /// TLS with `server`; `proxy_issuer` is the issuer of the proxy's own
    /// certificate (an `https://` proxy), `through` whether a proxy relays.
    fn tls(
        &mut self,
        kind: StepKind,
        stream: Box<dyn Stream>,
        server: &str,
        through: Option<&Proxy>,
        proxy_issuer: Option<&str>,
    ) -> std::result::Result<(Box<dyn Stream>, TlsInfo), Stop> {
        let roots = self.prober.roots();
        let timeout = self.timeout();
        let http_proxy = through.is_some_and(|p| !p.scheme().is_socks());
        let judge = |mut info: TlsInfo| {
            if http_proxy {
                info.interception = if proxy_issuer == Some(info.issuer.as_str()) {
                    Some(Interception::ProxyIssuer)
                } else {
                    // Extra roots are CAs the caller named: an internal
                    // origin's CA as likely as the proxy's, so no verdict.
                    match &info.trust {
                        Trust::SystemStoreOnly => Some(Interception::LocalRoot),
                        Trust::Untrusted(CertProblem::UnknownIssuer) => {
                            Some(Interception::UnknownIssuer)
                        }
                        _ => None,
                    }
                };
            }
            info
        };
        self.step(kind, server.to_owned(), |_| {
            match tls::handshake(stream, server, &roots, timeout) {
                Ok((stream, info)) => {
                    let info = judge(info);
                    Ok(((stream, info.clone()), Finding::Tls(info)))
                }
                Err(Problem::TlsUntrusted(info)) => Err(Problem::TlsUntrusted(judge(info))),
                Err(Problem::NotTls { .. }) => Err(Problem::NotTls {
                    proxy: kind == StepKind::ProxyTls,
                }),
                Err(p) => Err(p),
            }
        })
    }

    /// Sends `request` and reads the answer's head; `proxy` when the answer
    /// comes from a proxy that may refuse or want credentials.
    fn request(
        &mut self,
        kind: StepKind,
        stream: &mut dyn Stream,
        shown: String,
        request: &str,
        proxy: Option<&Proxy>,
    ) -> std::result::Result<u16, Stop> {
        let timeout = self.timeout();
        let tunnel = kind == StepKind::Tunnel;
        self.step(kind, shown, |_| {
            stream
                .write_all(request.as_bytes())
                .and_then(|()| stream.flush())
                .map_err(|e| net::problem(&e, timeout))?;
            let head = http::read_head(stream, timeout)?;
            let from_proxy = tunnel
                || head.header("proxy-status").is_some()
                || head.header("x-squid-error").is_some();
            if let Some(proxy) = proxy {
                if head.status == 407
                    && (tunnel || from_proxy || head.header("proxy-authenticate").is_some())
                {
                    return Err(Problem::ProxyAuth {
                        offered: head.proxy_auth_schemes(),
                        sent: proxy.credentials().is_some(),
                    });
                }
                if from_proxy && !(200..300).contains(&head.status) {
                    let title = http::read_title(stream, &head);
                    return Err(Problem::ProxyRefused {
                        tunnel,
                        status: head.status,
                        reason: head.reason,
                        title,
                    });
                }
            }
            let finding = if tunnel {
                Finding::TunnelOpen {
                    status: head.status,
                }
            } else {
                Finding::Status {
                    code: head.status,
                    reason: head.reason,
                }
            };
            Ok((head.status, finding))
        })
    }

    fn origin_request(&self, want: &Want<'_>, absolute: Option<&Proxy>) -> String {
        let mut req = match absolute {
            Some(_) => format!(
                "GET {}://{}{} HTTP/1.1\r\n",
                if want.tls { "https" } else { "http" },
                want.host_header(),
                want.path
            ),
            None => format!("GET {} HTTP/1.1\r\n", want.path),
        };
        req.push_str(&format!(
            "Host: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n",
            want.host_header()
        ));
        if let Some(creds) = absolute.and_then(Proxy::credentials) {
            req.push_str("Proxy-Authorization: ");
            req.push_str(creds.basic_auth().to_str().unwrap_or(""));
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        req
    }

    fn direct(&mut self, want: &Want<'_>) -> std::result::Result<(), Stop> {
        let host = want.target.host();
        let mut stream = self.open(host, want.port, false)?;
        if want.tls {
            stream = self.tls(StepKind::Tls, stream, host, None, None)?.0;
        }
        let request = self.origin_request(want, None);
        self.request(
            StepKind::Request,
            &mut *stream,
            format!("GET {}", want.path),
            &request,
            None,
        )?;
        Ok(())
    }

    fn via_proxy(&mut self, proxy: &Proxy, want: &Want<'_>) -> std::result::Result<(), Stop> {
        let mut stream = self.open(proxy.host(), proxy.port(), true)?;
        let mut proxy_issuer = None;
        if proxy.scheme() == ProxyScheme::Https {
            let (s, info) = self.tls(StepKind::ProxyTls, stream, proxy.host(), None, None)?;
            stream = s;
            proxy_issuer = Some(info.issuer);
        }
        if proxy.scheme().is_socks() {
            self.socks(proxy, want, &mut *stream)?;
        } else if want.tls {
            let mut connect = format!(
                "CONNECT {a} HTTP/1.1\r\nHost: {a}\r\nUser-Agent: {USER_AGENT}\r\n",
                a = want.authority()
            );
            if let Some(creds) = proxy.credentials() {
                connect.push_str("Proxy-Authorization: ");
                connect.push_str(creds.basic_auth().to_str().unwrap_or(""));
                connect.push_str("\r\n");
            }
            connect.push_str("\r\n");
            let shown = format!("CONNECT {}", want.authority());
            self.request(StepKind::Tunnel, &mut *stream, shown, &connect, Some(proxy))?;
        } else {
            let request = self.origin_request(want, Some(proxy));
            let shown = format!("GET http://{}{}", want.host_header(), want.path);
            self.request(
                StepKind::Request,
                &mut *stream,
                shown,
                &request,
                Some(proxy),
            )?;
            return Ok(());
        }
        if want.tls {
            let server = want.target.host();
            stream = self
                .tls(
                    StepKind::Tls,
                    stream,
                    server,
                    Some(proxy),
                    proxy_issuer.as_deref(),
                )?
                .0;
        }
        let request = self.origin_request(want, None);
        self.request(
            StepKind::Request,
            &mut *stream,
            format!("GET {}", want.path),
            &request,
            None,
        )?;
        Ok(())
    }

    fn socks(
        &mut self,
        proxy: &Proxy,
        want: &Want<'_>,
        stream: &mut dyn Stream,
    ) -> std::result::Result<(), Stop> {
        let timeout = self.timeout();
        let scheme = proxy.scheme();
        let host = want.target.host();
        let dest = match want.target.ip() {
            Some(ip) => Dest::Ip(ip),
            None if scheme.resolves_remotely() => Dest::Name(host),
            None => {
                // socks5:// and socks4:// resolve the name here.
                let addrs = self.step(StepKind::Resolve, host.to_owned(), |_| {
                    let addrs = net::resolve(host, want.port, timeout, false)?;
                    let ips = addrs.iter().map(|a| a.ip()).collect();
                    Ok((addrs, Finding::Resolved { addrs: ips }))
                })?;
                let pick = if scheme == ProxyScheme::Socks4 {
                    addrs.iter().find(|a| a.is_ipv4())
                } else {
                    addrs.first()
                };
                match pick {
                    Some(a) => Dest::Ip(a.ip()),
                    None => {
                        let problem = Problem::NoIpv4 {
                            host: host.to_owned(),
                        };
                        self.steps.push(Step {
                            kind: StepKind::SocksConnect,
                            target: want.authority(),
                            elapsed: Duration::ZERO,
                            outcome: Outcome::Failed(problem),
                        });
                        return Err(Stop);
                    }
                }
            }
        };
        let creds = proxy.credentials();
        if matches!(scheme, ProxyScheme::Socks5 | ProxyScheme::Socks5h) {
            let shown = proxy.authority();
            let method = self.step(StepKind::SocksGreeting, shown.clone(), |_| {
                let m = socks::greet(stream, creds, timeout)?;
                Ok((m, Finding::SocksMethod(m)))
            })?;
            if let (SocksMethod::UserPassword, Some(creds)) = (method, creds) {
                self.step(StepKind::SocksAuth, shown, |_| {
                    socks::authenticate(stream, creds, timeout).map(|f| ((), f))
                })?;
            }
            self.step(StepKind::SocksConnect, want.authority(), |_| {
                socks::connect5(stream, &dest, want.port, timeout).map(|f| ((), f))
            })?;
        } else {
            let user = creds.map_or("", |c| c.username());
            self.step(StepKind::SocksConnect, want.authority(), |_| {
                socks::connect4(stream, &dest, want.port, user, timeout).map(|f| ((), f))
            })?;
        }
        Ok(())
    }
}

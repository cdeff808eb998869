//! The SOCKS handshakes (RFC 1928 and 1929 for SOCKS5; SOCKS4 and 4a), each
//! answer turned into a [`Finding`] or a [`Problem`].

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::diagnosis::{Finding, NameSide, Problem, SocksMethod};
use super::net::{self, Stream};
use crate::proxy::Credentials;

/// Where the SOCKS proxy should connect: a name it resolves, or an address.
#[derive(Debug, Clone)]
pub(crate) enum Dest<'a> {
    Name(&'a str),
    Ip(IpAddr),
}

fn io(timeout: Duration) -> impl Fn(std::io::Error) -> Problem {
    move |e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Problem::SocksProtocol {
            detail: "the proxy closed the connection".to_owned(),
        },
        _ => net::problem(&e, timeout),
    }
}

/// Sends the greeting and reads the method chosen.
pub(crate) fn greet(
    s: &mut dyn Stream,
    creds: Option<&Credentials>,
    timeout: Duration,
) -> Result<SocksMethod, Problem> {
    let greeting: &[u8] = if creds.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    s.write_all(greeting).map_err(io(timeout))?;
    let mut reply = [0u8; 2];
    s.read_exact(&mut reply).map_err(io(timeout))?;
    match reply {
        [5, 0] => Ok(SocksMethod::NoAuth),
        [5, 2] if creds.is_some() => Ok(SocksMethod::UserPassword),
        [5, 0xff] => Err(Problem::SocksNoMethod {
            offered_password: creds.is_some(),
        }),
        [5, 2] => Err(Problem::SocksPasswordRequired),
        [v, m] => Err(Problem::SocksProtocol {
            detail: format!("greeting answered with version {v}, method {m}"),
        }),
    }
}

/// RFC 1929: user and password.
pub(crate) fn authenticate(
    s: &mut dyn Stream,
    creds: &Credentials,
    timeout: Duration,
) -> Result<Finding, Problem> {
    let user = creds.username().as_bytes();
    let pass = creds.password().unwrap_or("").as_bytes();
    let (Ok(ulen), Ok(plen)) = (u8::try_from(user.len()), u8::try_from(pass.len())) else {
        return Err(Problem::SocksProtocol {
            detail: "SOCKS5 limits the user and the password to 255 bytes each".to_owned(),
        });
    };
    let mut msg = Vec::with_capacity(3 + user.len() + pass.len());
    msg.push(1);
    msg.push(ulen);
    msg.extend_from_slice(user);
    msg.push(plen);
    msg.extend_from_slice(pass);
    s.write_all(&msg).map_err(io(timeout))?;
    let mut reply = [0u8; 2];
    s.read_exact(&mut reply).map_err(io(timeout))?;
    match reply {
        [_, 0] => Ok(Finding::SocksAuthenticated),
        [_, status] => Err(Problem::SocksAuthFailed { status }),
    }
}

/// SOCKS5 CONNECT.
pub(crate) fn connect5(
    s: &mut dyn Stream,
    dest: &Dest<'_>,
    port: u16,
    timeout: Duration,
) -> Result<Finding, Problem> {
    let resolved_by = match dest {
        Dest::Name(_) => NameSide::Proxy,
        Dest::Ip(_) => NameSide::Client,
    };
    let mut msg = vec![5, 1, 0];
    match dest {
        Dest::Ip(IpAddr::V4(a)) => {
            msg.push(1);
            msg.extend_from_slice(&a.octets());
        }
        Dest::Ip(IpAddr::V6(a)) => {
            msg.push(4);
            msg.extend_from_slice(&a.octets());
        }
        Dest::Name(name) => {
            let Ok(len) = u8::try_from(name.len()) else {
                return Err(Problem::SocksProtocol {
                    detail: "SOCKS5 limits host names to 255 bytes".to_owned(),
                });
            };
            msg.push(3);
            msg.push(len);
            msg.extend_from_slice(name.as_bytes());
        }
    }
    msg.extend_from_slice(&port.to_be_bytes());
    s.write_all(&msg).map_err(io(timeout))?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head).map_err(io(timeout))?;
    if head[0] != 5 {
        return Err(Problem::SocksProtocol {
            detail: format!("reply with version {}", head[0]),
        });
    }
    if head[1] != 0 {
        return Err(Problem::SocksReply {
            code: head[1],
            resolved_by,
        });
    }
    // The bound address: skip it.
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len).map_err(io(timeout))?;
            usize::from(len[0]) + 2
        }
        t => {
            return Err(Problem::SocksProtocol {
                detail: format!("reply with address type {t}"),
            })
        }
    };
    let mut skip = vec![0u8; rest];
    s.read_exact(&mut skip).map_err(io(timeout))?;
    Ok(Finding::SocksConnected { resolved_by })
}

/// SOCKS4 (an IPv4 address) or SOCKS4a (a name the proxy resolves).
pub(crate) fn connect4(
    s: &mut dyn Stream,
    dest: &Dest<'_>,
    port: u16,
    user: &str,
    timeout: Duration,
) -> Result<Finding, Problem> {
    let mut msg = vec![4, 1];
    msg.extend_from_slice(&port.to_be_bytes());
    let resolved_by = match dest {
        Dest::Ip(IpAddr::V4(a)) => {
            msg.extend_from_slice(&a.octets());
            NameSide::Client
        }
        Dest::Ip(IpAddr::V6(_)) => {
            return Err(Problem::SocksProtocol {
                detail: "SOCKS4 cannot carry an IPv6 address".to_owned(),
            })
        }
        Dest::Name(_) => {
            msg.extend_from_slice(&Ipv4Addr::new(0, 0, 0, 1).octets());
            NameSide::Proxy
        }
    };
    msg.extend_from_slice(user.as_bytes());
    msg.push(0);
    if let Dest::Name(name) = dest {
        msg.extend_from_slice(name.as_bytes());
        msg.push(0);
    }
    s.write_all(&msg).map_err(io(timeout))?;
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).map_err(io(timeout))?;
    match reply[1] {
        0x5a => Ok(Finding::SocksConnected { resolved_by }),
        code @ 0x5b..=0x5d => Err(Problem::Socks4Rejected { code }),
        code => Err(Problem::SocksProtocol {
            detail: format!("SOCKS4 reply code 0x{code:02x}"),
        }),
    }
}

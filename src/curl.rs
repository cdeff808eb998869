//! The curl command line that sends a request the way a [`Route`] says, so that
//! "does curl do the same?" is one copy-paste.

use crate::proxy::percent_encode;
use crate::route::{Hop, Route};

/// How much of the credentials a command line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ShowCredentials {
    /// Only the user name (`--proxy-user alice`): curl then prompts for the
    /// password. The default.
    #[default]
    UserOnly,
    /// The user name and password: only for a terminal you trust.
    Full,
}

/// A curl command line that sends `url` along `route`, whatever the
/// environment says: `--proxy` plus `--noproxy ''` for a proxy, `--noproxy '*'`
/// for a direct connection. A refused route gives a shell comment saying why.
///
/// ```
/// use proxyroute::{curl_command, Resolver, ShowCredentials, Target};
/// let resolver = Resolver::builder().proxy("http://alice:s3cret@proxy:3128").build()?;
/// let route = resolver.resolve(&Target::parse("https://example.com/")?);
/// assert_eq!(
///     curl_command(route, "https://example.com/", ShowCredentials::UserOnly),
///     "curl --proxy 'http://proxy:3128' --proxy-user 'alice' --noproxy '' 'https://example.com/'"
/// );
/// # Ok::<(), proxyroute::Error>(())
/// ```
pub fn curl_command(route: Route<'_>, url: &str, show: ShowCredentials) -> String {
    if let Some(error) = route.error() {
        return format!("# no route for {}: {error}", quote(url));
    }
    match route.first() {
        Some(Hop::Proxy(p)) => {
            let mut cmd = String::from("curl --proxy ");
            match p.credentials() {
                // curl splits --proxy-user at the first ':', so such a user name
                // travels percent-encoded in the proxy URL instead.
                Some(creds) if creds.username().contains(':') => {
                    cmd.push_str(&quote(&with_userinfo(p, show)));
                }
                Some(creds) => {
                    let user = match (show, creds.password()) {
                        (ShowCredentials::Full, Some(password)) => {
                            format!("{}:{password}", creds.username())
                        }
                        _ => creds.username().to_owned(),
                    };
                    cmd.push_str(&quote(&p.url_without_credentials()));
                    cmd.push_str(" --proxy-user ");
                    cmd.push_str(&quote(&user));
                }
                None => cmd.push_str(&quote(&p.url_without_credentials())),
            }
            cmd.push_str(" --noproxy '' ");
            cmd.push_str(&quote(url));
            cmd
        }
        _ => format!("curl --noproxy '*' {}", quote(url)),
    }
}

fn with_userinfo(p: &crate::Proxy, show: ShowCredentials) -> String {
    match show {
        ShowCredentials::Full => p.url_with_credentials(),
        ShowCredentials::UserOnly => {
            let user = p.credentials().map(|c| percent_encode(c.username()));
            let bare = p.url_without_credentials();
            match (user, bare.split_once("://")) {
                (Some(user), Some((scheme, rest))) => format!("{scheme}://{user}@{rest}"),
                _ => bare,
            }
        }
    }
}

/// Single-quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Proxy, ProxyScheme};

    #[test]
    fn rows() {
        let plain = Proxy::new(ProxyScheme::Socks5h, "127.0.0.1", 1080).unwrap();
        let authed = Proxy::new(ProxyScheme::Http, "proxy", 3128)
            .unwrap()
            .with_credentials(Credentials::new("bob", Some("it's")));
        let rows = [
            (
                "direct",
                Route::DIRECT,
                ShowCredentials::UserOnly,
                "curl --noproxy '*' 'http://h/'",
            ),
            (
                "socks",
                Route::via(&plain),
                ShowCredentials::UserOnly,
                "curl --proxy 'socks5h://127.0.0.1:1080' --noproxy '' 'http://h/'",
            ),
            (
                "user only",
                Route::via(&authed),
                ShowCredentials::UserOnly,
                "curl --proxy 'http://proxy:3128' --proxy-user 'bob' --noproxy '' 'http://h/'",
            ),
            (
                "full, quoted",
                Route::via(&authed),
                ShowCredentials::Full,
                r"curl --proxy 'http://proxy:3128' --proxy-user 'bob:it'\''s' --noproxy '' 'http://h/'",
            ),
        ];
        for (name, route, show, want) in rows {
            assert_eq!(curl_command(route, "http://h/", show), want, "{name}");
        }
    }
}

//! The crate's one error type, its kinds, and the non-fatal [`Violation`]s that
//! lenient readers record instead of failing.

use std::fmt;
use std::sync::Arc;

/// Where a piece of configuration text came from.
///
/// Every [`Error`] and [`Violation`] names its origin so that a message such as
/// `environment variable NO_PROXY entry 3 "10.0.0.0/33": invalid CIDR prefix length`
/// points straight at the text to fix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// An environment variable, by name.
    Env(String),
    /// A named setting: a builder method, a command-line flag or a config key.
    Setting(String),
    /// Text handed to a parser directly (`FromStr`).
    Text,
}

impl Origin {
    /// The origin for an environment variable.
    pub fn env(name: impl Into<String>) -> Self {
        Origin::Env(name.into())
    }

    /// The origin for a named setting (a builder method or command-line flag).
    pub fn setting(name: impl Into<String>) -> Self {
        Origin::Setting(name.into())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Setting(name) => f.write_str(name),
            Origin::Text => f.write_str("input"),
        }
    }
}

/// What went wrong, without the context (see [`Error`] for that).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is empty where a value is required.
    #[error("empty value")]
    Empty,
    /// A URL needs `scheme://` here.
    #[error("missing scheme (write it as scheme://host)")]
    MissingScheme,
    /// The proxy scheme is not one this crate (or this dialect) knows.
    #[error(
        "unsupported proxy scheme {0:?} (expected http, https, socks4, socks4a, socks5 or socks5h)"
    )]
    UnsupportedScheme(String),
    /// No host where one is required.
    #[error("missing host")]
    MissingHost,
    /// The host is not a valid domain name or IP address.
    #[error("invalid host")]
    InvalidHost,
    /// The port is not a number from 0 to 65535.
    #[error("invalid port")]
    InvalidPort,
    /// The text is not a URL.
    #[error("not a URL")]
    InvalidUrl,
    /// A bypass entry that cannot be read.
    #[error("invalid bypass entry")]
    InvalidBypassEntry,
    /// A CIDR block whose prefix length is too long for its address family.
    #[error("invalid CIDR prefix length")]
    InvalidCidr,
    /// A percent-escape that does not decode, or decodes to invalid UTF-8.
    #[error("invalid percent-encoding in credentials")]
    InvalidCredentials,
    /// The dialect refuses to use this proxy in a CGI environment (httpoxy).
    #[error(
        "refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set); see httpoxy.org"
    )]
    CgiRefused,
    /// A proxy auto-config script or auto-detection is configured but cannot be evaluated.
    #[error("proxy auto-config is configured but not evaluated here (see proxyroute::pac and --pac); refusing to guess DIRECT")]
    PacNotEvaluated,
    /// A piece of configuration that a lenient reader would skip or flag
    /// (a bypass entry that never matches, a value the tool ignores), met
    /// where strictness was asked for: the violation's own kind, unchanged.
    #[error("{0}")]
    Violation(Box<ViolationKind>),
    /// A configuration file that is not JSON, or not the JSON expected.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A proxy auto-config script failed: it threw, ran out of time or
    /// memory, or returned something that is not a string.
    #[error("{0}")]
    Pac(String),
    /// A system proxy store could not be read.
    #[error("cannot read the system proxy settings: {0}")]
    SystemStore(String),
    /// A value names an option that this build does not support.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// A certificate file for the probe's extra roots that cannot be used.
    #[error("cannot use these certificates: {0}")]
    Certificates(String),
    /// A watcher could not follow a source, or the rebuild it ran failed
    /// (see `proxyroute::watch`).
    #[error("{0}")]
    Watch(String),
    /// A value the dialect's tool fails on or refuses, with the tool's reading
    /// (curl's "Unsupported proxy syntax" for a value with blanks around it).
    #[error("{0}")]
    RefusedByTool(&'static str),
}

/// The crate's error: a [`kind`](Error::kind) plus where it happened and the
/// offending text, with any password replaced by `***`.
///
/// ```
/// let err = "ftp://alice:s3cret@proxy:21".parse::<proxyroute::Proxy>().unwrap_err();
/// assert_eq!(err.to_string(), r#"input "ftp://alice:***@proxy:21": unsupported proxy scheme "ftp" (expected http, https, socks4, socks4a, socks5 or socks5h)"#);
/// assert!(!format!("{err:?}").contains("s3cret"));
/// ```
///
/// When the failure came from below (an I/O or HTTP error while fetching a PAC
/// script, say), [`source()`](std::error::Error::source) returns it, so a
/// caller can tell a network failure from a script failure by type, not by
/// message. Two errors are equal when their kind, origin, index and text are;
/// the source is not compared.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    origin: Origin,
    index: Option<usize>,
    input: String,
    /// Behind a thin pointer, so that the error stays small to return.
    source: Option<Arc<Source>>,
}

/// The lower-level failure behind an [`Error`].
struct Source(Box<dyn std::error::Error + Send + Sync + 'static>);

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        (&self.kind, &self.origin, self.index, &self.input)
            == (&other.kind, &other.origin, other.index, &other.input)
    }
}

impl Eq for Error {}

impl std::hash::Hash for Error {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.kind, &self.origin, self.index, &self.input).hash(state);
    }
}

impl Error {
    /// An error of `kind` about `input` (redacted here) from `origin`.
    pub(crate) fn new(kind: ErrorKind, origin: Origin, input: &str) -> Self {
        Error {
            kind,
            origin,
            index: None,
            input: redact(input),
            source: None,
        }
    }

    pub(crate) fn from_violation(v: &Violation) -> Self {
        let kind = match &v.kind {
            ViolationKind::Invalid(kind) => kind.clone(),
            other => ErrorKind::Violation(Box::new(other.clone())),
        };
        Error {
            kind,
            origin: v.origin.clone(),
            index: v.index,
            input: v.text.clone(),
            source: None,
        }
    }

    /// A failure of the caller's own, for a function the crate calls back,
    /// such as a `watch::Watcher`'s rebuild that cannot read the
    /// application's configuration: kind [`ErrorKind::Watch`], from `origin`
    /// (the file or setting), with `message` saying what went wrong. Passwords
    /// in URLs in the message are shown as `***`.
    ///
    /// ```
    /// use proxyroute::{Error, ErrorKind, Origin};
    /// let e = Error::rebuild(Origin::setting("app.toml"), "cannot read it: permission denied");
    /// assert!(matches!(e.kind(), ErrorKind::Watch(_)));
    /// assert_eq!(e.to_string(), "app.toml: cannot read it: permission denied");
    /// ```
    pub fn rebuild(origin: Origin, message: impl AsRef<str>) -> Self {
        Error::new(ErrorKind::Watch(redact(message.as_ref())), origin, "")
    }

    /// The same error, with `source` as the lower-level failure behind it
    /// (returned by [`source()`](std::error::Error::source)).
    ///
    /// ```
    /// use std::error::Error as _;
    /// use proxyroute::{Error, Origin};
    /// let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
    /// let e = Error::rebuild(Origin::setting("app.toml"), "cannot read it").with_source(io);
    /// let below = e.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(below.kind(), std::io::ErrorKind::PermissionDenied);
    /// ```
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(Source(Box::new(source))));
        self
    }

    /// The same error, naming `origin` as where the text came from (for a
    /// caller that parsed text it got from a flag or a file).
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where the text came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The entry's position (from 0) in a list, when the text was one entry of many.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// The offending text, with any password replaced by `***`.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(i) = self.index {
            write!(f, " entry {i}")?;
        }
        if self.input.is_empty()
            && matches!(
                self.kind,
                ErrorKind::InvalidJson(_)
                    | ErrorKind::Pac(_)
                    | ErrorKind::SystemStore(_)
                    | ErrorKind::Certificates(_)
                    | ErrorKind::Watch(_)
            )
        {
            // A file's syntax error names its line and column instead.
            return write!(f, ": {}", self.kind);
        }
        write!(f, " {:?}: {}", self.input, self.kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("origin", &self.origin)
            .field("index", &self.index)
            .field("input", &self.input)
            .field(
                "source",
                &self.source.as_ref().map(|s| redact(&s.0.to_string())),
            )
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| &*s.0 as &(dyn std::error::Error + 'static))
    }
}

/// Why a lenient reader skipped or flagged a piece of configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ViolationKind {
    /// The value could not be parsed; the entry (or variable) was skipped.
    #[error("{0}")]
    Invalid(ErrorKind),
    /// The entry parses, but under this dialect it can never match any host.
    #[error("never matches: {0}")]
    NeverMatches(&'static str),
    /// The value was read but deliberately ignored.
    #[error("ignored: {0}")]
    Ignored(&'static str),
    /// The entry is used, but the tool would read it differently from what its
    /// text suggests.
    #[error("note: {0}")]
    Note(&'static str),
}

/// A problem a lenient reader met and worked around: which source, which entry,
/// the text (password redacted) and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    origin: Origin,
    index: Option<usize>,
    text: String,
    kind: ViolationKind,
}

impl Violation {
    pub(crate) fn new(
        origin: Origin,
        index: Option<usize>,
        text: &str,
        kind: ViolationKind,
    ) -> Self {
        Violation {
            origin,
            index,
            text: redact(text),
            kind,
        }
    }

    pub(crate) fn from_error(err: Error) -> Self {
        Violation {
            origin: err.origin,
            index: err.index,
            text: err.input,
            kind: ViolationKind::Invalid(err.kind),
        }
    }

    /// Where the text came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The entry's position (from 0) in its list, if it was one entry of many.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// The offending text, with any password replaced by `***`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Why it was flagged.
    pub fn kind(&self) -> &ViolationKind {
        &self.kind
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(i) = self.index {
            write!(f, " entry {i}")?;
        }
        write!(f, " {:?}: {}", self.text, self.kind)
    }
}

/// Replaces the password of any `user:password@` userinfo in `text` with `***`.
///
/// The userinfo is taken to run from the start of the authority (after `://`, or
/// the start of the text) to the *last* `@`, so a password holding a raw `/`, `@`
/// or `:` is still hidden whole.
pub(crate) fn redact(text: &str) -> String {
    // Only a real `scheme://` starts the authority; a `://` later in the text
    // (in a path, say) must not move the start past the user info.
    let start = match text.find("://") {
        Some(i)
            if text[..i].starts_with(|c: char| c.is_ascii_alphabetic())
                && text[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            i + 3
        }
        _ => 0,
    };
    let Some(at) = text.rfind('@').filter(|&at| at >= start) else {
        return text.to_owned();
    };
    let userinfo = &text[start..at];
    match userinfo.find(':') {
        Some(colon) => {
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..start + colon + 1]);
            out.push_str("***");
            out.push_str(&text[at..]);
            out
        }
        None => text.to_owned(),
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn a_source_is_chained_compared_by_nothing_and_redacted_in_debug() {
        let below = std::io::Error::other("GET http://alice:s3cret@pac.corp/wpad.dat failed");
        let e = Error::rebuild(Origin::setting("x"), "fetch failed").with_source(below);
        let source = std::error::Error::source(&e).expect("a source");
        assert!(source.to_string().starts_with("GET http://alice:"));
        assert!(!format!("{e:?}").contains("s3cret"), "{e:?}");
        assert!(!e.to_string().contains("s3cret"));
        assert_eq!(e, Error::rebuild(Origin::setting("x"), "fetch failed"));
    }

    use super::*;

    #[test]
    fn redact_hides_every_password_shape() {
        let rows = [
            ("http://u:secret@h:1", "http://u:***@h:1"),
            ("u:secret@h", "u:***@h"),
            ("http://u:se/cr@et@h/", "http://u:***@h/"),
            ("http://u@h", "http://u@h"),
            ("http://h:3128", "http://h:3128"),
            ("socks5://:secret@h", "socks5://:***@h"),
            ("alice:secret@proxy/x://y", "alice:***@proxy/x://y"),
        ];
        for (input, want) in rows {
            assert_eq!(redact(input), want, "input {input}");
        }
    }
}

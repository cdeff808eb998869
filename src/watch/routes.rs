//! [`RouteChanges`]: which of a set of URLs changed route between two
//! resolvers, and why: what a `--watch` display prints.

use std::fmt;

use crate::error::Error;
use crate::{Resolver, Target};

/// A fixed set of URLs and the route each took last; [`update`] compares
/// them with a new resolver's answers.
///
/// [`update`]: RouteChanges::update
///
/// ```
/// use proxyroute::watch::RouteChanges;
/// use proxyroute::Resolver;
/// let mut routes = RouteChanges::new(["https://example.com/", "http://intranet/"])?;
/// let first = Resolver::builder().proxy("http://proxy:3128").build()?;
/// assert_eq!(routes.update(&first).len(), 2); // every URL, the first time
///
/// let second = Resolver::builder().proxy("http://proxy:3128").bypass("intranet").build()?;
/// let changed = routes.update(&second);
/// assert_eq!(changed.len(), 1);
/// assert_eq!(changed[0].url(), "http://intranet/");
/// assert_eq!((changed[0].before(), changed[0].after()), (Some("http://proxy:3128"), "DIRECT"));
/// assert!(changed[0].to_string().starts_with(
///     "http://intranet/: http://proxy:3128 -> DIRECT (custom:bypass: intranet matches entry 0"
/// ));
/// assert!(changed[0].to_json().starts_with(
///     r#"{"url": "http://intranet/", "before": "http://proxy:3128", "route": "DIRECT", "source": "custom:bypass""#
/// ));
/// assert!(routes.update(&second).is_empty());
/// # Ok::<(), proxyroute::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RouteChanges {
    urls: Vec<(String, Target)>,
    last: Vec<Option<String>>,
}

/// One URL whose route changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    url: String,
    before: Option<String>,
    after: String,
    source: String,
    reason: String,
}

impl RouteChange {
    /// The URL, as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The route before (`None` the first time), passwords as `***`.
    pub fn before(&self) -> Option<&str> {
        self.before.as_deref()
    }

    /// The route now.
    pub fn after(&self) -> &str {
        &self.after
    }

    /// Where the new route came from (a decision's source).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why, in the decision's words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl RouteChange {
    /// The change as one line of JSON: `{"url", "before" (or null),
    /// "route", "source", "reason"}`, passwords as `***`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        super::json::member(&mut out, "url", Some(&self.url));
        super::json::member(&mut out, "before", self.before.as_deref());
        super::json::member(&mut out, "route", Some(&self.after));
        super::json::member(&mut out, "source", Some(&self.source));
        super::json::member(&mut out, "reason", Some(&self.reason));
        out.push('}');
        out
    }
}

impl fmt::Display for RouteChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.before {
            Some(before) => write!(f, "{}: {before} -> {}", self.url, self.after)?,
            None => write!(f, "{}: {}", self.url, self.after)?,
        }
        write!(f, " ({}: {})", self.source, self.reason)
    }
}

impl RouteChanges {
    /// The URLs to follow.
    ///
    /// # Errors
    ///
    /// A URL that does not parse, naming it.
    pub fn new<I, S>(urls: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let urls = urls
            .into_iter()
            .map(|u| {
                let u = u.as_ref();
                Target::parse(u).map(|t| (u.to_owned(), t))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RouteChanges {
            last: vec![None; urls.len()],
            urls,
        })
    }

    /// The URLs whose route under `resolver` differs from the last one seen
    /// (all of them the first time), with the new route's reason.
    pub fn update(&mut self, resolver: &Resolver) -> Vec<RouteChange> {
        let mut out = Vec::new();
        for ((url, target), last) in self.urls.iter().zip(&mut self.last) {
            let decision = resolver.explain(target);
            let route = decision.route();
            let after = match route.error() {
                Some(e) => format!("refused ({e})"),
                None => route.to_string(),
            };
            if last.as_deref() == Some(after.as_str()) {
                continue;
            }
            out.push(RouteChange {
                url: url.clone(),
                before: last.replace(after.clone()),
                after,
                source: decision.source().to_owned(),
                reason: decision.reason().to_owned(),
            });
        }
        out
    }
}

//! One URL's answer: the route `Resolver::resolve` gives, beside the reasons
//! `Resolver::explain` gives, gathered once for both output forms.

use proxyroute::{
    curl_command, Decision, Dialect, Hop, HopBuf, Resolver, Route, ShowCredentials, Target,
};

use crate::args::Options;

/// What is printed for one URL that parsed.
pub(crate) struct Answer {
    /// The URL as given on the command line.
    pub(crate) url: String,
    /// The hops `resolve` returned (passwords as `***` unless asked for).
    pub(crate) hops: Vec<String>,
    /// Why `resolve` refused a route.
    pub(crate) error: Option<String>,
    /// `explain`'s own route, when it is not the one `resolve` returned.
    pub(crate) explained_route: Option<String>,
    /// The reasons.
    pub(crate) decision: Decision,
    /// The dialect the resolver followed.
    pub(crate) dialect: Dialect,
    /// The equivalent curl command, when `--curl` asked for it.
    pub(crate) curl: Option<String>,
}

impl Answer {
    /// Asks `resolver` about `target` both ways.
    pub(crate) fn new(resolver: &Resolver, url: &str, target: &Target, opts: &Options) -> Self {
        // `explain` first: a PAC layer then evaluates the script once, traced,
        // and `resolve` answers from its cache as it would in the program.
        let decision = resolver.explain(target);
        let route = resolver.resolve(target);
        let show = opts.show_credentials;
        let hops: Vec<String> = route.hops().map(|h| hop_text(h, show)).collect();
        let error = route.error().map(ToString::to_string);
        let explained: Vec<String> = decision
            .hops()
            .iter()
            .map(|h| hop_buf_text(h, show))
            .collect();
        let explained_error = decision.error().map(ToString::to_string);
        let explained_route = (explained != hops || explained_error != error)
            .then(|| route_text(&explained, explained_error.as_deref()));
        let curl = opts.curl.then(|| curl_line(route, url, show));
        Answer {
            url: url.to_owned(),
            hops,
            error,
            explained_route,
            decision,
            dialect: resolver.dialect(),
            curl,
        }
    }

    /// Whether the URL has no route.
    pub(crate) fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// Hops joined for people, or `none (why)`.
pub(crate) fn route_text(hops: &[String], error: Option<&str>) -> String {
    match error {
        Some(e) => format!("none ({e})"),
        None => hops.join(", then "),
    }
}

fn hop_text(hop: Hop<'_>, show: bool) -> String {
    match hop {
        Hop::Proxy(p) if show => p.url_with_credentials(),
        other => other.to_string(),
    }
}

fn hop_buf_text(hop: &HopBuf, show: bool) -> String {
    match hop {
        HopBuf::Proxy(p) if show => p.url_with_credentials(),
        other => other.to_string(),
    }
}

fn curl_line(route: Route<'_>, url: &str, show: bool) -> String {
    let show = if show {
        ShowCredentials::Full
    } else {
        ShowCredentials::UserOnly
    };
    curl_command(route, url, show)
}

#[cfg(test)]
mod tests {
    use proxyroute::Resolver;

    use super::Answer;
    use crate::args::Options;

    #[test]
    fn resolve_and_explain_agree_and_a_disagreement_is_shown() {
        let resolver = Resolver::builder()
            .proxy("http://alice:s3cret@p.test:1")
            .build()
            .unwrap();
        let target = "http://a.test/".parse().unwrap();
        let mut answer = Answer::new(&resolver, "http://a.test/", &target, &Options::default());
        assert_eq!(answer.hops, ["http://alice:***@p.test:1"]);
        assert!(answer.explained_route.is_none());
        assert!(!answer.failed());
        // Both outputs name the other route when the two ever differ.
        answer.explained_route = Some("DIRECT".to_owned());
        let human = crate::human::answer(&answer);
        assert!(
            human.contains("\n  route:   http://alice:***@p.test:1\n  explain: DIRECT (explain's"),
            "{human}"
        );
        let json = crate::json::answer(&answer);
        assert!(
            json.ends_with(r#", "explained_route": "DIRECT"}"#),
            "{json}"
        );
        assert!(!format!("{human}{json}").contains("s3cret"));
    }
}

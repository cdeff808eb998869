//! The output for people: the route, where it came from, why, the rule that
//! matched and hints.

use std::fmt::Write as _;

use crate::answer::{route_text, Answer};

/// The lines for one URL, each ending in a newline.
pub(crate) fn answer(a: &Answer) -> String {
    let d = &a.decision;
    let mut out = String::new();
    let _ = writeln!(out, "{}", a.url);
    let _ = writeln!(
        out,
        "  route:   {}",
        route_text(&a.hops, a.error.as_deref())
    );
    if let Some(explained) = &a.explained_route {
        let _ = writeln!(
            out,
            "  explain: {explained} (explain's route differs from resolve's, shown above)"
        );
    }
    let _ = writeln!(out, "  source:  {} ({} dialect)", d.source(), a.dialect);
    let _ = writeln!(out, "  why:     {}", d.reason());
    if let Some(rule) = d.rule() {
        match rule.index() {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "  rule:    {:?} (entry {i} of {})",
                    rule.text(),
                    rule.source()
                );
            }
            None => {
                let _ = writeln!(out, "  rule:    {} ({})", rule.text(), rule.source());
            }
        }
    }
    for hint in d.hints() {
        let _ = writeln!(out, "  hint:    {hint}");
    }
    if let Some(curl) = &a.curl {
        let _ = writeln!(out, "  curl:    {curl}");
    }
    out
}

/// The lines for a URL that is not one.
pub(crate) fn bad_url(url: &str, error: &str) -> String {
    format!("{url}\n  error:   {error}\n")
}

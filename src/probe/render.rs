//! A [`ProbeReport`] for people (`Display`, in the CLI's style) and as one
//! JSON object ([`ProbeReport::to_json`]).

use std::fmt::{self, Write as _};

use super::diagnosis::{Finding, Problem, TlsInfo};
use super::{Attempt, Outcome, ProbeReport, Step};
use crate::json::write_string;

fn millis(step: &Step) -> f64 {
    (step.elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.url)?;
        match &self.refused {
            Some(e) => writeln!(f, "  route:   none ({e})")?,
            None => writeln!(f, "  route:   {}", self.route.join(", then "))?,
        }
        for attempt in &self.attempts {
            writeln!(f, "  hop:     {}", attempt.hop)?;
            for step in &attempt.steps {
                let (mark, text) = match &step.outcome {
                    Outcome::Done(found) => ("ok  ", found.to_string()),
                    Outcome::Failed(problem) => ("FAIL", problem.to_string()),
                };
                writeln!(
                    f,
                    "    {mark} {:<14} {:<32} {:>7.1} ms  {text}",
                    step.kind.as_str(),
                    step.target,
                    millis(step)
                )?;
            }
        }
        write!(f, "  result:  ")?;
        result_line(self, f)?;
        writeln!(f)?;
        for hint in self.hints() {
            writeln!(f, "  hint:    {hint}")?;
        }
        Ok(())
    }
}

fn result_line(report: &ProbeReport, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if report.refused.is_some() {
        return f.write_str("not probed: no route");
    }
    let tried = report.attempts.len();
    if let Some((i, attempt)) = report
        .attempts
        .iter()
        .enumerate()
        .find(|(_, a)| a.status().is_some())
    {
        let last = attempt.steps.last().map(|s| &s.outcome);
        if let Some(Outcome::Done(Finding::Status { code, reason })) = last {
            write!(f, "HTTP {code} {reason} via {}", attempt.hop)?;
        }
        if i > 0 {
            write!(
                f,
                " (after {i} failed hop{})",
                if i == 1 { "" } else { "s" }
            )?;
        }
        return Ok(());
    }
    match report
        .attempts
        .first()
        .and_then(|a| a.failure().map(|s| (a, s)))
    {
        Some((attempt, step)) => {
            write!(f, "failed at {} via {}", step.kind.as_str(), attempt.hop)?;
            if tried > 1 {
                write!(
                    f,
                    " (and the route's other {} hop{} failed too)",
                    tried - 1,
                    if tried == 2 { "" } else { "s" }
                )?;
            }
            Ok(())
        }
        None => f.write_str("no hop to probe"),
    }
}

fn key(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push_str(", ");
    }
    write_string(out, name);
    out.push_str(": ");
}

fn str_field(out: &mut String, name: &str, value: &str) {
    key(out, name);
    write_string(out, value);
}

fn opt_field(out: &mut String, name: &str, value: Option<&str>) {
    key(out, name);
    match value {
        Some(v) => write_string(out, v),
        None => out.push_str("null"),
    }
}

fn list_field<'a>(out: &mut String, name: &str, items: impl IntoIterator<Item = &'a str>) {
    key(out, name);
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(out, item);
    }
    out.push(']');
}

fn tls_fields(out: &mut String, info: &TlsInfo) {
    key(out, "tls");
    out.push('{');
    str_field(out, "server", &info.server);
    str_field(out, "subject", &info.subject);
    str_field(out, "issuer", &info.issuer);
    str_field(out, "trust", info.trust.as_str());
    opt_field(out, "interception", info.interception.map(|i| i.as_str()));
    out.push('}');
}

/// The typed details of a step, as JSON members.
fn detail_fields(out: &mut String, outcome: &Outcome) {
    match outcome {
        Outcome::Done(Finding::Tls(info)) | Outcome::Failed(Problem::TlsUntrusted(info)) => {
            tls_fields(out, info);
        }
        Outcome::Done(Finding::Status { code, .. })
        | Outcome::Done(Finding::TunnelOpen { status: code }) => {
            key(out, "status");
            let _ = write!(out, "{code}");
        }
        Outcome::Done(Finding::Resolved { addrs }) => {
            let addrs: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            list_field(out, "addresses", addrs.iter().map(String::as_str));
        }
        Outcome::Done(Finding::SocksConnected { resolved_by })
        | Outcome::Failed(Problem::SocksReply { resolved_by, .. }) => {
            str_field(out, "resolved_by", resolved_by.as_str());
            if let Outcome::Failed(Problem::SocksReply { code, .. }) = outcome {
                key(out, "reply_code");
                let _ = write!(out, "{code}");
            }
        }
        Outcome::Failed(Problem::NameNotResolved { host, side, .. }) => {
            str_field(out, "host", host);
            str_field(out, "resolved_by", side.as_str());
        }
        Outcome::Failed(Problem::ProxyAuth { offered, sent }) => {
            key(out, "status");
            out.push_str("407");
            let schemes: Vec<String> = offered.iter().map(ToString::to_string).collect();
            list_field(out, "schemes", schemes.iter().map(String::as_str));
            key(out, "credentials_sent");
            out.push_str(if *sent { "true" } else { "false" });
        }
        Outcome::Failed(Problem::ProxyRefused {
            status,
            reason,
            title,
            ..
        }) => {
            key(out, "status");
            let _ = write!(out, "{status}");
            str_field(out, "reason", reason);
            opt_field(out, "title", title.as_deref());
        }
        _ => {}
    }
}

fn step_json(out: &mut String, step: &Step) {
    out.push('{');
    str_field(out, "step", step.kind.as_str());
    str_field(out, "target", &step.target);
    key(out, "ms");
    let _ = write!(out, "{}", millis(step));
    key(out, "ok");
    out.push_str(if step.problem().is_none() {
        "true"
    } else {
        "false"
    });
    if let Some(problem) = step.problem() {
        str_field(out, "problem", problem.kind());
    }
    let text = match &step.outcome {
        Outcome::Done(found) => found.to_string(),
        Outcome::Failed(problem) => problem.to_string(),
    };
    str_field(out, "message", &text);
    detail_fields(out, &step.outcome);
    opt_field(out, "hint", step.hint().as_deref());
    out.push('}');
}

fn attempt_json(out: &mut String, attempt: &Attempt) {
    out.push('{');
    str_field(out, "hop", &attempt.hop);
    key(out, "status");
    match attempt.status() {
        Some(s) => {
            let _ = write!(out, "{s}");
        }
        None => out.push_str("null"),
    }
    key(out, "steps");
    out.push('[');
    for (i, step) in attempt.steps.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        step_json(out, step);
    }
    out.push_str("]}");
}

impl ProbeReport {
    /// The report as one JSON object on one line: `url`, `route`, `refused`,
    /// `ok`, `status`, `attempts` (each with its `hop`, `status` and
    /// `steps`), `result` and `hints`.
    ///
    /// Each step has `step`, `target`, `ms`, `ok`, `message`, `hint`, and
    /// when it failed `problem` (a [`Problem::kind`]); typed details where
    /// they apply: `status`, `reason`, `title`, `schemes`,
    /// `credentials_sent`, `resolved_by`, `reply_code`, `addresses`, `tls`
    /// (`server`, `subject`, `issuer`, `trust`, `interception`).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        str_field(&mut out, "url", &self.url);
        list_field(&mut out, "route", self.route.iter().map(String::as_str));
        opt_field(&mut out, "refused", self.refused.as_deref());
        key(&mut out, "ok");
        out.push_str(if self.succeeded() { "true" } else { "false" });
        key(&mut out, "status");
        match self.status() {
            Some(s) => {
                let _ = write!(out, "{s}");
            }
            None => out.push_str("null"),
        }
        key(&mut out, "attempts");
        out.push('[');
        for (i, attempt) in self.attempts.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            attempt_json(&mut out, attempt);
        }
        out.push(']');
        str_field(&mut out, "result", &ResultLine(self).to_string());
        let hints = self.hints();
        list_field(&mut out, "hints", hints.iter().map(String::as_str));
        out.push('}');
        out
    }
}

struct ResultLine<'a>(&'a ProbeReport);

impl fmt::Display for ResultLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        result_line(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::diagnosis::Problem;
    use super::super::{Attempt, Outcome, ProbeReport, Step, StepKind};
    use crate::json::{self, Value};

    /// A report whose every text holds what JSON must escape, read back by
    /// the crate's own JSON reader.
    #[test]
    fn json_reads_back_with_hostile_text() {
        let nasty = "q\"uote \\ back\nnew\rline\ttab \u{1} \u{7f} é 😀 </title>";
        let report = ProbeReport {
            url: format!("http://example.com/{nasty}"),
            route: vec![nasty.to_owned()],
            refused: None,
            attempts: vec![Attempt {
                hop: nasty.to_owned(),
                steps: vec![Step {
                    kind: StepKind::Tunnel,
                    target: nasty.to_owned(),
                    elapsed: Duration::from_micros(1234),
                    outcome: Outcome::Failed(Problem::ProxyRefused {
                        tunnel: true,
                        status: 403,
                        reason: nasty.to_owned(),
                        title: Some(nasty.to_owned()),
                    }),
                }],
            }],
        };
        let text = report.to_json();
        assert!(!text.contains('\n'), "one line: {text}");
        let value = json::parse(&text).unwrap();
        assert_eq!(
            value.get("route"),
            Some(&Value::Array(vec![Value::String(nasty.into())]))
        );
        let Some(Value::Array(attempts)) = value.get("attempts") else {
            panic!("{text}");
        };
        let Some(Value::Array(steps)) = attempts[0].get("steps") else {
            panic!("{text}");
        };
        let step = &steps[0];
        assert_eq!(step.get("target"), Some(&Value::String(nasty.into())));
        assert_eq!(step.get("title"), Some(&Value::String(nasty.into())));
        assert_eq!(step.get("reason"), Some(&Value::String(nasty.into())));
        assert_eq!(step.get("ms"), Some(&Value::Number(1.2)));
        assert_eq!(
            step.get("problem"),
            Some(&Value::String("proxy-refused".into()))
        );
        assert_eq!(value.get("ok"), Some(&Value::Bool(false)));
        assert_eq!(value.get("status"), Some(&Value::Null));
    }
}

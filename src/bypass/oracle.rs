//! The linear reference matcher: every rule tried in order, written for
//! obviousness rather than speed. The compiled engine must agree with it.

use std::net::IpAddr;

use ipnet::IpNet;

use super::engine::first_occurrence_at_end;
use super::glob;
use super::{BypassHit, BypassList, BypassRule, MatchFlags, Pattern};
use crate::target::Target;

pub(super) fn find<'a>(list: &'a BypassList, target: &Target) -> Option<BypassHit<'a>> {
    let flags = list.flags();
    let first = list
        .rules()
        .iter()
        .find(|rule| rule_matches(rule, target, &flags));
    let found = match (flags.implicit.covers(target), first) {
        // Entries before `<-loopback>` still apply; it stops the rest.
        (Some(_), Some(rule)) if rule.pattern() == &Pattern::SubtractImplicit => None,
        (Some(why), _) if !has_subtract(list) => Some(BypassHit::Implicit(why)),
        (_, first) => first.map(BypassHit::Rule),
    };
    match (list.is_reversed(), found) {
        (false, found) => found,
        // A reversed list still never proxies the implicit hosts it does not name.
        (true, Some(BypassHit::Implicit(why))) if first.is_none() => Some(BypassHit::Implicit(why)),
        (true, None) => Some(BypassHit::NotListed),
        (true, Some(_)) => None,
    }
}

fn has_subtract(list: &BypassList) -> bool {
    list.rules()
        .iter()
        .any(|r| r.pattern() == &Pattern::SubtractImplicit)
}

fn rule_matches(rule: &BypassRule, target: &Target, flags: &MatchFlags) -> bool {
    if !flags.rule_ok(rule, target) {
        return false;
    }
    let name = |host: &str| -> bool {
        let is_suffix = |n: &str| {
            host.len() > n.len()
                && host.ends_with(n)
                && host.as_bytes()[host.len() - n.len() - 1] == b'.'
        };
        let hit = match rule.pattern() {
            Pattern::Host(n) => host == &**n,
            Pattern::Domain(n) => host == &**n || is_suffix(n),
            Pattern::Subdomains(n) => is_suffix(n),
            Pattern::HostSuffix(n) => host.ends_with(&**n),
            Pattern::Glob(g) => glob::matches(g, host),
            Pattern::PlainHostnames => target.ip().is_none() && !host.contains('.'),
            _ => false,
        };
        let entry = match rule.pattern() {
            Pattern::Host(n) | Pattern::Domain(n) | Pattern::Subdomains(n) => n,
            _ => return hit,
        };
        hit && (!flags.first_occurrence || first_occurrence_at_end(host, entry))
    };
    match rule.pattern() {
        Pattern::All => true,
        Pattern::AllNames => target.ip().is_none(),
        Pattern::Net(_) if flags.v6_as_text && target.ip().is_some_and(|ip| ip.is_ipv6()) => false,
        Pattern::Net(net) if flags.ip_families_apart => {
            target.ip().is_some_and(|ip| net.contains(&ip))
        }
        Pattern::Net(net) => target.ip().is_some_and(|ip| net_contains(net, ip)),
        Pattern::SubtractImplicit => flags.implicit.covers(target).is_some(),
        _ => flags.name_text(target).is_some_and(|text| name(&text)),
    }
}

/// Whether `net` holds `ip`, reading IPv4-mapped IPv6 addresses both ways.
fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    if net.contains(&ip) {
        return true;
    }
    match ip {
        IpAddr::V4(a) => net.contains(&IpAddr::V6(a.to_ipv6_mapped())),
        IpAddr::V6(a) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| net.contains(&IpAddr::V4(v4))),
    }
}

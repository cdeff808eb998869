//! The linear reference matcher: every rule tried in order, written for
//! obviousness rather than speed. The compiled engine must agree with it.

use std::net::IpAddr;

use ipnet::IpNet;

use super::engine::first_occurrence_at_end;
use super::{BypassHit, BypassList, BypassRule, MatchFlags, Pattern};
use crate::target::Target;

pub(super) fn find<'a>(list: &'a BypassList, target: &Target) -> Option<BypassHit<'a>> {
    let flags = list.flags();
    if let Some(why) = flags.implicit.covers(target) {
        return Some(BypassHit::Implicit(why));
    }
    list.rules()
        .iter()
        .find(|rule| rule_matches(rule, target, &flags))
        .map(BypassHit::Rule)
}

fn rule_matches(rule: &BypassRule, target: &Target, flags: &MatchFlags) -> bool {
    if !flags.port_ok(rule.port(), target) {
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
        Pattern::Net(net) => target.ip().is_some_and(|ip| net_contains(net, ip)),
        _ => flags.name_text(target).is_some_and(name),
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

// The PAC helper functions, written for proxyroute. Native hooks (installed
// before this file runs): __resolve(host) -> [address strings],
// __local() -> [address strings], __now() -> milliseconds since the epoch,
// __isIp(text, family 4|6|0) -> bool, __inNetEx(ip, prefix) -> bool,
// __sortIps(list) -> string or null.
"use strict";

function isPlainHostName(host) {
  if (typeof host !== "string") throw new TypeError("isPlainHostName: host must be a string");
  return host.indexOf(".") === -1 && !__isIp(host, 0);
}

function dnsDomainIs(host, domain) {
  host = String(host);
  domain = String(domain);
  return host.length >= domain.length && host.substring(host.length - domain.length) === domain;
}

function localHostOrDomainIs(host, hostdom) {
  host = String(host);
  hostdom = String(hostdom);
  return host === hostdom || hostdom.lastIndexOf(host + ".", 0) === 0;
}

function dnsResolve(host) {
  var all = __resolve(String(host));
  for (var i = 0; i < all.length; i++) {
    if (__isIp(all[i], 4)) return all[i];
  }
  return null;
}

function isResolvable(host) {
  return dnsResolve(host) !== null;
}

function convert_addr(ipchars) {
  var bytes = String(ipchars).split(".");
  return (((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) |
          ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff)) >>> 0;
}

function isInNet(host, pattern, mask) {
  if (!__isIp(String(pattern), 4) || !__isIp(String(mask), 4)) return false;
  var ip = __isIp(String(host), 4) ? String(host) : dnsResolve(host);
  if (ip === null) return false;
  var m = convert_addr(mask);
  return ((convert_addr(ip) & m) >>> 0) === ((convert_addr(pattern) & m) >>> 0);
}

function myIpAddress() {
  var all = __local();
  for (var i = 0; i < all.length; i++) {
    if (__isIp(all[i], 4)) return all[i];
  }
  return "127.0.0.1";
}

function dnsDomainLevels(host) {
  return String(host).split(".").length - 1;
}

// As browsers have it: only ".", "*" and "?" are translated; anything else
// ("(", ")", "|", brackets, "+", "^", "$") is left to the regular expression,
// so "(*.|)example.com" matches "example.com" and its subdomains, and a
// pattern that is not a valid expression throws.
function shExpMatch(str, shexp) {
  var pattern = String(shexp).replace(/\./g, "\\.")
    .replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp("^" + pattern + "$").test(String(str));
}

// The script's own clock: `new Date()`, `Date()` and `Date.now()` read the
// caller's clock (__now), as the date and time helpers do; every other use
// of Date is the engine's own.
globalThis.Date = (function (Real) {
  function Date() {
    if (new.target === undefined) return new Real(__now()).toString();
    if (arguments.length === 0) return new Real(__now());
    return Reflect.construct(Real, arguments, new.target === Date ? Real : new.target);
  }
  Date.prototype = Real.prototype;
  Object.defineProperty(Real.prototype, "constructor", {
    value: Date, writable: true, enumerable: false, configurable: true
  });
  Date.now = function now() { return __now(); };
  Date.parse = Real.parse;
  Date.UTC = Real.UTC;
  return Date;
})(Date);

var __DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
var __MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

// Splits a trailing "GMT" off the arguments.
function __args(list) {
  var args = Array.prototype.slice.call(list);
  var gmt = args.length > 0 && args[args.length - 1] === "GMT";
  if (gmt) args.pop();
  return { args: args, now: new Date(__now()), gmt: gmt };
}

// Inclusive range test that wraps when the start is after the end.
function __within(start, value, end) {
  return start <= end ? start <= value && value <= end : value >= start || value <= end;
}

function weekdayRange() {
  var a = __args(arguments);
  if (a.args.length < 1 || a.args.length > 2) return false;
  var d1 = __DAYS.indexOf(a.args[0]);
  var d2 = a.args.length === 2 ? __DAYS.indexOf(a.args[1]) : d1;
  if (d1 < 0 || d2 < 0) return false;
  var today = a.gmt ? a.now.getUTCDay() : a.now.getDay();
  return __within(d1, today, d2);
}

function timeRange() {
  var a = __args(arguments);
  var n = a.args.length;
  for (var i = 0; i < n; i++) {
    if (typeof a.args[i] !== "number") throw new TypeError("timeRange: arguments must be numbers");
  }
  var h = a.gmt ? a.now.getUTCHours() : a.now.getHours();
  var m = a.gmt ? a.now.getUTCMinutes() : a.now.getMinutes();
  var s = a.gmt ? a.now.getUTCSeconds() : a.now.getSeconds();
  var now = h * 3600 + m * 60 + s;
  var x = a.args;
  if (n === 1) return h === x[0];
  if (n === 2) return __within(x[0], h, x[1]);
  if (n === 4) return __within(x[0] * 3600 + x[1] * 60, now, x[2] * 3600 + x[3] * 60 + 59);
  if (n === 6) return __within(x[0] * 3600 + x[1] * 60 + x[2], now, x[3] * 3600 + x[4] * 60 + x[5]);
  throw new TypeError("timeRange: takes 1, 2, 4 or 6 numbers and an optional \"GMT\"");
}

// One dateRange argument: a day (1-31), a month name, or a year (>= 32).
function __datePart(value) {
  if (typeof value === "string") {
    var month = __MONTHS.indexOf(value);
    return month < 0 ? null : { kind: "month", value: month };
  }
  if (typeof value !== "number") return null;
  if (value >= 1 && value <= 31) return { kind: "day", value: value };
  if (value >= 32) return { kind: "year", value: value };
  return null;
}

function dateRange() {
  var a = __args(arguments);
  var n = a.args.length;
  if (n < 1 || n > 6) return false;
  var parts = [];
  for (var i = 0; i < n; i++) {
    var p = __datePart(a.args[i]);
    if (p === null) return false;
    parts.push(p);
  }
  var now = {
    day: a.gmt ? a.now.getUTCDate() : a.now.getDate(),
    month: a.gmt ? a.now.getUTCMonth() : a.now.getMonth(),
    year: a.gmt ? a.now.getUTCFullYear() : a.now.getFullYear()
  };
  if (n === 1) return now[parts[0].kind] === parts[0].value;
  if (n % 2 !== 0) return false;
  var start = parts.slice(0, n / 2);
  var end = parts.slice(n / 2);
  for (var j = 0; j < start.length; j++) {
    // A kept quirk: (day, month) pairs of different kinds are always true.
    if (start[j].kind !== end[j].kind) return n === 2;
  }
  // Compare as one number: year, then month, then day, for the kinds given.
  var weight = { year: 10000, month: 100, day: 1 };
  function key(list) {
    var k = 0;
    for (var i = 0; i < list.length; i++) k += list[i].value * weight[list[i].kind];
    return k;
  }
  var value = 0;
  for (var q = 0; q < start.length; q++) value += now[start[q].kind] * weight[start[q].kind];
  return __within(key(start), value, key(end));
}

// Microsoft's IPv6-aware set.
function dnsResolveEx(host) {
  return __resolve(String(host)).join(";");
}

function isResolvableEx(host) {
  return dnsResolveEx(host) !== "";
}

function myIpAddressEx() {
  return __local().join(";");
}

function isInNetEx(ip, prefix) {
  return __inNetEx(String(ip), String(prefix));
}

function sortIpAddressList(list) {
  var sorted = __sortIps(String(list));
  return sorted === null || sorted === undefined ? false : sorted;
}

function getClientVersion() {
  return "1.0";
}

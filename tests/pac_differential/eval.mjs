// Runs a PAC script through npm's pac-resolver, a second evaluator for
// tests/pac_differential.rs, with the same fake DNS, myIpAddress and clock
// the Rust side uses. Reads one JSON request on stdin:
//   { "script": "...", "now": <ms since the epoch>, "myIp": "10.0.0.5",
//     "dns": { "host": ["10.1.2.3", ...] }, "cases": [["url", "host"], ...] }
// and writes one JSON array: { "ok": "<returned string>" } or { "err": "..." }
// per case, in order.
import { readFileSync } from 'node:fs';
import dns from 'node:dns';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

const request = JSON.parse(readFileSync(0, 'utf8'));

// The clock: `new Date()` and `Date.now()` read the request's time.
const RealDate = Date;
class FixedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(request.now);
    else super(...args);
  }
  static now() {
    return request.now;
  }
}
globalThis.Date = FixedDate;

// The DNS: a table; IP literals resolve to themselves; nothing else resolves.
dns.lookup = (host, options, callback) => {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const family = typeof options === 'number' ? options : options.family || 0;
  const fits = (ip) => family === 0 || net.isIP(ip) === family;
  const found = net.isIP(host) ? [host] : (request.dns[host] || []);
  const ip = found.find(fits);
  process.nextTick(() => {
    if (ip === undefined) {
      const err = new Error(`getaddrinfo ENOTFOUND ${host}`);
      err.code = 'ENOTFOUND';
      callback(err);
    } else {
      callback(null, ip, net.isIP(ip));
    }
  });
};
syncBuiltinESMExports();

const { createPacResolver } = await import('pac-resolver');
const { QuickJS } = await import('quickjs-wasi');
const wasm = readFileSync(new URL(import.meta.resolve('quickjs-wasi/quickjs.wasm')));

const out = [];
let find;
try {
  const vm = await QuickJS.create({ wasm });
  find = createPacResolver(vm, request.script, {
    sandbox: {
      myIpAddress: async () => request.myIp,
    },
  });
} catch (e) {
  for (const _ of request.cases) out.push({ err: `load: ${e && e.message}` });
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}
for (const [url, host] of request.cases) {
  try {
    out.push({ ok: String(await find(url, host)) });
  } catch (e) {
    out.push({ err: String(e && e.message) });
  }
}
process.stdout.write(JSON.stringify(out));

// The Node probe of proxyroute's differential tests (tests/differential.rs).
// Reads one JSON case per line on stdin, {"env": {...}, "url": "..."}, and
// writes one JSON line per case: {"proxy": "..."} as npm proxy-from-env's
// getProxyForUrl returns it ("" means DIRECT), or {"error": "..."}.
// proxy-from-env reads process.env on every call, so one process serves all.
'use strict';
const { getProxyForUrl } = require('proxy-from-env');
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  if (!line) return;
  const c = JSON.parse(line);
  for (const key of Object.keys(process.env)) delete process.env[key];
  for (const [key, value] of Object.entries(c.env)) process.env[key] = value;
  let out;
  try {
    out = { proxy: getProxyForUrl(c.url) };
  } catch (e) {
    out = { error: String(e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});

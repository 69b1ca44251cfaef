// Per-call CPU time and wall time of the npm packages against raw fetch + json(), for
// `cargo xtask bench`: `node cpu.mjs URL RUNS CALLS`.
//
// Paths: the CAD package (`getVersion`) and the CMS package (`getSubVersion`), each with its
// default settings (a 30 s timeout that really cancels, retries; in Node its own transport on
// node:http), with pacing on and a limit it never reaches (`getSubVersion` has a documented
// limit, which the bench's calls would reach); and raw `fetch` + `json()` of the same request
// (no timeout). For reference, not judged: the CAD package given Node's `fetch` (`fetch:
// globalThis.fetch`, its transport before) and raw node:http + `JSON.parse` on a keep-alive
// agent (what its own transport does, without the package). The server runs in
// another process, so `process.cpuUsage()` (user + system of this process, every thread) is the
// client side's own work. In each round every path makes CALLS calls in a block; the order of
// the paths rotates from round to round. One round of warm-up first, not reported.
// Prints `{path: {wall_us: [...], cpu_us: [...]}}`, per call, one value per round.
import http from 'node:http';
import { SonoranClient } from '../pkg/index.mjs';
import { SonoranCms } from '../../cms-wasm/pkg/index.mjs';

const [url, runsArg, callsArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 15);
const CALLS = Number(callsArg ?? 300);
const cad = new SonoranClient({ apiKey: 'bench-key', baseUrl: url, rateLimit: { limits: { getVersion: 1_000_000 } } });
const cms = new SonoranCms({
  apiKey: 'bench-key',
  communityId: 'bench-community',
  baseUrl: url,
  rateLimit: { limits: { getSubVersion: 1_000_000 } },
});
const cadOnFetch = new SonoranClient({
  apiKey: 'bench-key',
  baseUrl: url,
  rateLimit: { limits: { getVersion: 1_000_000 } },
  fetch: globalThis.fetch,
});
const headers = { authorization: 'Bearer bench-key', accept: 'application/json' };
const agent = new http.Agent({ keepAlive: true });
const rawHttp = (u) => () =>
  new Promise((resolve, reject) => {
    const req = http.request(u, { headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`raw node:http: ${res.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
const raw = (u) => async () => {
  const reply = await fetch(u, { headers });
  if (!reply.ok) throw new Error(`raw fetch: ${reply.status}`);
  return reply.json();
};
const paths = {
  cad_client: () => cad.getVersion(),
  cad_raw: raw(`${url}/v2/general/version`),
  cms_client: () => cms.getSubVersion(),
  cms_raw: raw(`${url}/v2/community/sub-version`),
  cad_client_fetch: () => cadOnFetch.getVersion(),
  cad_raw_http: rawHttp(`${url}/v2/general/version`),
};
const names = Object.keys(paths);
const out = Object.fromEntries(names.map((n) => [n, { wall_us: [], cpu_us: [] }]));
for (let round = 0; round <= RUNS; round++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(round + k) % names.length];
    const call = paths[n];
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < CALLS; i++) await call();
    const wall = performance.now() - t;
    const cpu = process.cpuUsage(c);
    if (round > 0) {
      out[n].wall_us.push((wall * 1000) / CALLS);
      out[n].cpu_us.push((cpu.user + cpu.system) / CALLS);
    }
  }
}
console.log(JSON.stringify(out));

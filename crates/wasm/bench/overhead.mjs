// The same v2 call (GET /v2/general/version) through the npm package and through raw
// fetch + json(), against the URL given. The paths alternate call by call, so that drift,
// GC and the other core's load fall on all of them alike. Prints JSON for `cargo xtask bench`:
// the mean per call of each run, per path.
import { SonoranClient } from '../pkg/index.mjs';

const url = process.argv[2];
const CALLS = 1000;
const RUNS = 7;
const options = { apiKey: 'bench-key', baseUrl: url, rateLimit: 'off', retries: 0 };
// Defaults: a 30 s timeout, which in Node costs an AbortController and a timer per call.
const client = new SonoranClient(options);
const untimed = new SonoranClient({ ...options, timeoutMs: 0 });
const u = `${url}/v2/general/version`;
const headers = { authorization: 'Bearer bench-key', accept: 'application/json' };

const paths = {
  raw: async () => (await fetch(u, { headers })).json(),
  client: () => client.getVersion(),
  client_no_timeout: () => untimed.getVersion(),
};
const names = Object.keys(paths);
for (let i = 0; i < 300; i++) for (const n of names) await paths[n]();
const out = Object.fromEntries(names.map((n) => [n, { per_call_us: [] }]));
for (let r = 0; r < RUNS; r++) {
  const total = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 0; i < CALLS; i++) {
    for (const n of names) {
      const t = performance.now();
      await paths[n]();
      total[n] += performance.now() - t;
    }
  }
  for (const n of names) out[n].per_call_us.push((total[n] * 1000) / CALLS);
}
// The package's own work per call, without the network: both paths given a fetch that
// answers at once with the same reply.
const reply = JSON.stringify({ version: 2, name: 'PLUS' });
const replyHeaders = { get: (name) => (name === 'content-type' ? 'application/json' : null) };
const instant = async () => ({ status: 200, headers: replyHeaders, text: async () => reply, json: async () => JSON.parse(reply) });
const offline = new SonoranClient({ ...options, timeoutMs: 0, fetch: instant });
const local = {
  instant_raw: async () => (await instant(u, { headers })).json(),
  instant_client: () => offline.getVersion(),
};
for (const n of Object.keys(local)) out[n] = { per_call_us: [] };
for (let r = 0; r < RUNS; r++) {
  const total = { instant_raw: 0, instant_client: 0 };
  for (let i = 0; i < 10 * CALLS; i++) {
    for (const n of Object.keys(local)) {
      const t = performance.now();
      await local[n]();
      total[n] += performance.now() - t;
    }
  }
  for (const n of Object.keys(local)) out[n].per_call_us.push((total[n] * 1000) / (10 * CALLS));
}
console.log(JSON.stringify(out));

// The same v2 call (GET /v2/general/version) through the npm package and through raw
// fetch, interleaved runs, against the URL given. Prints JSON for `cargo xtask bench`.
import { SonoranClient } from '../pkg/index.mjs';

const url = process.argv[2];
const CALLS = 1000;
const RUNS = 7;
const client = new SonoranClient({ apiKey: 'bench-key', baseUrl: url, rateLimit: 'off', retries: 0 });

const viaClient = () => client.getVersion();
const viaFetch = async () => {
  const reply = await fetch(`${url}/v2/general/version`, {
    headers: { authorization: 'Bearer bench-key', accept: 'application/json' },
  });
  return reply.json();
};

async function perCallMicros(call) {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  return ((performance.now() - start) * 1000) / CALLS;
}

await perCallMicros(viaFetch);
await perCallMicros(viaClient);
const clientRuns = [];
const rawRuns = [];
for (let i = 0; i < RUNS; i++) {
  clientRuns.push(await perCallMicros(viaClient));
  rawRuns.push(await perCallMicros(viaFetch));
}
console.log(JSON.stringify({ client: { per_call_us: clientRuns }, raw: { per_call_us: rawRuns } }));

// Memory of the npm package in Node, for `cargo xtask bench`:
// `node --expose-gc memory.mjs cad|cms|fetch URL` (`fetch`: raw fetch + json() of CAD's call, no
// package, to tell the package's memory from Node's own fetch).
//
// V8's heap in use (`heapUsed`), memory outside the heap that JS objects hold (`external`,
// where the WebAssembly memory is counted, and `arrayBuffers`), and the process's resident
// set (`rss`), each read after several full GCs: before the import, after importing the package and
// constructing one client, after 1000, 10,000, 20,000, 40,000 and 100,000 calls (default settings, with
// pacing on and a limit never reached). Prints `{stages: [{stage, calls, heap_used, external,
// array_buffers, rss}]}` in bytes.
const [api, url] = process.argv.slice(2);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const stages = [];
// Several full GCs, each followed by a turn of the event loop (so that what finalizers,
// timers and undici's cleanup let go of is collected too): what is left on the heap is
// what something still holds.
const mark = async (stage, calls) => {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  const m = process.memoryUsage();
  stages.push({ stage, calls, heap_used: m.heapUsed, external: m.external, array_buffers: m.arrayBuffers, rss: m.rss });
};
await mark('before import', 0);
let call;
if (api === 'cms') {
  const { SonoranCms } = await import('../../cms-wasm/pkg/index.mjs');
  const c = new SonoranCms({
    apiKey: 'bench-key',
    communityId: 'bench-community',
    baseUrl: url,
    rateLimit: { limits: { getSubVersion: 1_000_000 } },
  });
  call = () => c.getSubVersion();
} else if (api === 'fetch') {
  const headers = { authorization: 'Bearer bench-key', accept: 'application/json' };
  call = async () => (await fetch(`${url}/v2/general/version`, { headers })).json();
} else {
  const { SonoranClient } = await import('../pkg/index.mjs');
  const c = new SonoranClient({ apiKey: 'bench-key', baseUrl: url, rateLimit: { limits: { getVersion: 1_000_000 } } });
  call = () => c.getVersion();
}
await mark('import + one client', 0);
let done = 0;
for (const target of [1000, 10_000, 20_000, 40_000, 100_000]) {
  while (done < target) {
    await call();
    done++;
  }
  await mark('after calls', done);
}
console.log(JSON.stringify({ api, stages }));

// Cold start, measured in a fresh Node process: `package`: import the package, construct a
// client, make the first call; `fetch`: the first raw fetch + json() of the same call.
// Prints JSON { ms } for `cargo xtask bench`, which runs it several times per mode, interleaved.
const [mode, url] = process.argv.slice(2);
const start = performance.now();
if (mode === 'package') {
  const { SonoranClient } = await import('../pkg/index.mjs');
  const client = new SonoranClient({ apiKey: 'bench-key', baseUrl: url, rateLimit: 'off', retries: 0 });
  await client.getVersion();
} else {
  const reply = await fetch(`${url}/v2/general/version`, {
    headers: { authorization: 'Bearer bench-key', accept: 'application/json' },
  });
  await reply.json();
}
console.log(JSON.stringify({ ms: performance.now() - start }));

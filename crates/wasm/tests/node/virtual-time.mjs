// Virtual time for the package's waits (pacing, Retry-After, backoff), for the Node tests.
//
// The package keeps time with the platform: the module's limiter reads `Date.now()` and
// the JS loop waits with `setTimeout`. node:test's mock timers replace both, so a test
// controls the clock without a hook in the package. Requests still go over the network to
// the fake, on real time: this clock moves only while no request is in flight, one
// millisecond at a time, so a reply takes no virtual time and every wait the package makes
// ends at its exact virtual deadline. A test asserts the exact virtual time at which each
// request left, never a wall-clock window.
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Installs virtual time on the test context `t` (undone when the test ends). Returns
 * `fetch` (pass it to the client: it records `{ at, url, init }` for each request in
 * `sent`, `at` being virtual ms) and `settle(promise)`, which runs the clock until the
 * promise settles and returns it.
 */
export function virtualTime(t) {
  const realFetch = globalThis.fetch;
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let inFlight = 0;
  const sent = [];
  async function fetch(url, init) {
    sent.push({ at: Date.now(), url, init });
    inFlight += 1;
    try {
      const res = await realFetch(url, init);
      // Read the body while still "in flight": the clock waits for all of the reply.
      const body = await res.arrayBuffer();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } finally {
      inFlight -= 1;
    }
  }
  async function settle(promise) {
    let settled = false;
    const done = () => {
      settled = true;
    };
    promise.then(done, done);
    for (;;) {
      // One real turn: network events and every pending promise continuation run.
      await nextTurn();
      if (settled) return promise;
      if (inFlight === 0) t.mock.timers.tick(1);
    }
  }
  return { fetch, sent, settle, now: () => Date.now() };
}

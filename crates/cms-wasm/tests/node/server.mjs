// A loopback HTTP server for the sonoran-cms tests: each test says how the next requests are
// answered and reads what was sent. (The fake Sonoran server does not serve CMS yet.)
import { createServer } from 'node:http';

export const API_KEY = 'cms-test-key-0123456789';
export const COMMUNITY_ID = 'cms-community';

/** Starts the server; `answer(req, body)` returns `{ status, headers, body }` per request. */
export async function start() {
  const state = { requests: [], answers: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const seen = { method: req.method, url: req.url, headers: req.headers, body, at: Date.now() };
      state.requests.push(seen);
      const next = state.answers.length > 1 ? state.answers.shift() : state.answers[0];
      const reply = next ? next(seen) : { status: 500, body: 'no answer set' };
      res.writeHead(reply.status, reply.headers ?? { 'content-type': 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    /** The answers, in order; the last one answers every further request. */
    answer(...answers) {
      state.answers = answers;
      state.requests = [];
    },
    get requests() {
      return state.requests;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A v2 success reply: the `{ success, data, meta }` envelope around `data`. */
export function envelope(data, path) {
  return { status: 200, body: { success: true, data, meta: { timestamp: '2026-04-15T00:00:00.000Z', path } } };
}

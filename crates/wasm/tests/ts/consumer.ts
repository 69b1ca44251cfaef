// A CommonJS TypeScript consumer: arguments and results are typed, never `any`.
import { SonoranClient, SonoranError, CallTableType, UnitStatus } from 'sonoran-cad';
import type { UpdateIdentifierResponse, SonoranErrorKind } from 'sonoran-cad';

export async function main(baseUrl: string): Promise<void> {
  const c = new SonoranClient({ communityId: 'c', apiKey: 'k', baseUrl, rateLimit: 'off', timeoutMs: 5000 });

  const r: UpdateIdentifierResponse = await c.updateIdentifier({
    accountUuid: '00000000-0000-0000-0000-000000000000',
    identId: 12,
    body: { status: 2, group: 'SUPERVISOR-1', page: 3 },
  });
  const s: number | undefined = r.identifier?.status;
  const unit: string | undefined = r.identifier?.data?.unitNum;

  const p = await c.modifyAccountPermissions({ body: { communityUserId: 'player-1234', add: ['POLICE', 'DISPATCH'], active: true } });
  const police: boolean | undefined = p.permissions?.police;

  const text: string = await c.setAccountPermissionsV1([{ apiId: 'STEAM:1234', add: ['POLICE'] }]);
  const calls = await c.getCalls({ serverId: 2, closedLimit: 5, type: CallTableType.SEARCH_ALL });
  const enroute: 3 = UnitStatus.ENROUTE;
  // @ts-expect-error query parameters with a documented enum take it, not a string
  await c.getCalls({ type: 'all' });
  const active: number | undefined = calls.ActiveCalls?.length;

  // @ts-expect-error wrong field type: status is a number
  await c.updateIdentifier({ accountUuid: 'a', identId: 12, body: { status: '2' } });
  // @ts-expect-error unknown field in body
  await c.updateIdentifier({ accountUuid: 'a', identId: 12, body: { bogus: 1 } });
  // @ts-expect-error missing required argument accountUuid
  await c.updateIdentifier({ identId: 12, body: {} });
  // @ts-expect-error not a documented permission
  await c.setAccountPermissionsV1([{ apiId: 'x', add: ['NOPE'] }]);
  // @ts-expect-error v1 data is an array
  await c.setAccountPermissionsV1({ apiId: 'x' });
  // @ts-expect-error unknown method
  await c.updateIdentifiers();
  // @ts-expect-error results are typed: identId is a number
  const wrong: string | undefined = r.identId;
  // @ts-expect-error results are typed: no such field
  r.nope;
  // Behind the user's own backend, which adds the credentials: no key in the browser.
  new SonoranClient({ baseUrl: 'https://panel.example/sonoran' });
  // @ts-expect-error options are named: a typo does not compile
  new SonoranClient({ apiKey: 'k', comunityId: 'c' });
  // @ts-expect-error rateLimit is "documented" | "off" | {...}
  new SonoranClient({ apiKey: 'k', rateLimit: 'sometimes' });

  // Arguments that are all optional may be left out.
  const version = await c.getVersion();
  const allCalls = await c.getCalls();
  console.log(version.name, allCalls.ClosedCallCount);

  try {
    await c.getVersion({});
  } catch (e) {
    if (e instanceof SonoranError) {
      const kind: SonoranErrorKind = e.kind;
      const status: number | undefined = e.status;
      const retry: number | undefined = e.retryAfter();
      const helpers: boolean = e.isNotFound() || e.isRetryable();
      const who: 'client' | 'server' | undefined = e.source;
      const where: string | undefined = e.operation;
      const attempts: number | undefined = e.attempts;
      console.log(helpers, who, where, attempts, e.requestId);
      // @ts-expect-error kind is a union of literals
      const bad: 'nope' = e.kind;
      const docs: string | undefined = e.docsUrl;
      // The kinds are the Rust ErrorKind names: an exhaustive switch over them type-checks.
      const described = ((k: SonoranErrorKind): string => {
        switch (k) {
          case 'invalidRequest': case 'pacingRefused': case 'rateLimited': case 'timeout':
          case 'aborted': case 'transport': case 'planRefused': case 'permissionDenied': case 'api':
          case 'malformedReply': case 'replyTooLarge': case 'sharedLimiterUnavailable': case 'internal':
            return k;
          default: {
            const never: never = k;
            return never;
          }
        }
      })(kind);
      // @ts-expect-error the old name of a bad argument is gone
      const old: SonoranErrorKind = 'invalidArgument';
      console.log(docs, described, old);
      console.log(kind, status, retry, bad, e.traceId?.length, e.message);
    }
  }
  // Per-call options: a signal, a deadline for the whole call, extra headers.
  const controller = new AbortController();
  const paced = await c.getVersion(undefined, { signal: controller.signal, timeoutMs: 2500, headers: { 'x-trace': '1' } });
  // @ts-expect-error not a per-call option
  await c.getVersion(undefined, { retries: 3 });
  // @ts-expect-error header values are strings
  await c.getVersion(undefined, { headers: { 'x-n': 1 } });
  // `.withResponse()`: the result with the reply's status, headers, request id and attempts.
  const { data, response } = await c.getVersion().withResponse();
  const named: string | undefined = data.name;
  const status: number = response.status;
  const tries: number = response.attempts;
  const rid: string | undefined = response.requestId;
  const header: string | null = response.headers.get('content-type');
  // v1 calls too.
  const v1: string = (await c.setAccountPermissionsV1([{ apiId: 'STEAM:1', add: ['POLICE'] }], { timeoutMs: 1000 }).withResponse()).data;
  // "Provide exactly one of": one target, by name.
  await c.getAccount({ discord: '123' });
  await c.getAccount({ username: 'someone' });
  // @ts-expect-error exactly one target: none is not enough
  await c.getAccount({});
  // @ts-expect-error exactly one target: two are too many
  await c.getAccount({ discord: '123', username: 'someone' });
  // @ts-expect-error the arguments are required when a target is
  await c.getAccount();
  // @ts-expect-error a body's target too: exactly one
  await c.modifyAccountPermissions({ body: { add: ['POLICE'] } });
  // Pages as `for await` loops: each operation's items typed.
  for await (const account of c.iterate('getAccounts', { limit: 50 }, { timeoutMs: 5000 })) {
    const username: string | undefined = account.username;
    console.log(username);
  }
  for await (const event of c.iterate('pollIntegrationPanelActions', { panelKey: 'p' })) {
    const cursor: number | undefined = event.cursor;
    console.log(cursor);
  }
  // v1 calls page through their `data`: its request objects, typed.
  for await (const account of c.iterate('getAccountsV1', [{ limit: 50, status: 1 }])) {
    const username: string | undefined = account.username;
    console.log(username);
  }
  // @ts-expect-error a v1 call's `data` is an array of request objects
  c.iterate('getActiveUnitsV1', { limit: 5 });
  // @ts-expect-error not a paginated operation
  c.iterate('getVersion');
  // @ts-expect-error getAccountUnits needs its accountUuid
  c.iterate('getAccountUnits');
  console.log(s, unit, police, text, active, wrong, enroute, paced.name, named, status, tries, rid, header, v1);
}

// A CommonJS TypeScript consumer of sonoran-cms: arguments and results are typed, never `any`.
import { SonoranCms, SonoranError, metaOf } from 'sonoran-cms';
import type { GetAccountRanksData, ReplyMeta, SonoranErrorKind } from 'sonoran-cms';
import { decodePushEvent, type PushEvent } from 'sonoran-cms/events';

export async function main(baseUrl: string): Promise<void> {
  const cms = new SonoranCms({ communityId: 'c', apiKey: 'k', baseUrl, timeoutMs: 5000, retries: 1 });

  // v2 resolves to the envelope's `data`.
  const ranks: GetAccountRanksData = await cms.getAccountRanks({ accountId: '00000000-0000-0000-0000-000000000000' });
  const first: string | undefined = ranks[0];
  const meta: ReplyMeta | undefined = metaOf(ranks);
  const when: string | undefined = meta?.timestamp;
  const records = await cms.getMemberRecords({ accountId: 'a', apiId: 'STEAM:1', uniqueId: 3 });
  const points: number | undefined = records[0]?.points;

  // v1 takes only `data`.
  const v1: string[] = await cms.getAccountRanksV1([{ apiId: 'STEAM:1234' }]);

  // @ts-expect-error the path parameter is required
  await cms.getAccountRanks({});
  // @ts-expect-error uniqueId is a number
  await cms.getMemberRecords({ accountId: 'a', uniqueId: '3' });
  // @ts-expect-error no such method: CAD's operations are not CMS's
  await cms.updateIdentifier({});

  // No default server (as in the Rust crate): no `serverId` option, and a call's is its own.
  // @ts-expect-error no `serverId` option
  new SonoranCms({ apiKey: 'k', serverId: 2 });
  // @ts-expect-error the path's serverId is required
  await cms.getAceConfig({});
  await cms.getAceConfig({ serverId: 2 });

  try {
    await cms.getCommunity(undefined, { signal: AbortSignal.timeout(1000) });
  } catch (e) {
    if (e instanceof SonoranError) {
      const kind: SonoranErrorKind = e.kind;
      const status: number | undefined = e.status;
      console.log(kind, status, e.title, e.detail);
    }
  }

  const event: PushEvent = decodePushEvent('ACCOUNT_KICKED', { accountId: 'a' });
  if (event.type === 'ACCOUNT_KICKED') {
    const id: string | undefined = event.data.accountId;
    console.log(id);
  }
  for await (const row of cms.iterate('getRosterContents', { rosterId: 1, limit: 25 })) {
    const power: number | undefined = row.sortPower;
    console.log(power);
  }
  // v1 calls page through their `data` (an array of request objects, or one object).
  for await (const account of cms.iterate('getAccountsV1', [{ take: 25 }])) {
    const name: string | undefined = account.accName;
    console.log(name);
  }
  for await (const row of cms.iterate('getRosterContentsV1', { rosterId: 1, limit: 25 })) {
    const power: number | undefined = row.sortPower;
    console.log(power);
  }
  // @ts-expect-error not a paginated operation
  cms.iterate('getCommunity');
  console.log(first, when, points, v1);
}

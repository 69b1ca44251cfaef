// An ES module TypeScript consumer (top-level await), the same package by name.
import { SonoranClient, SonoranError } from 'sonoran-cad';

const c = new SonoranClient({ apiKey: 'k', communityId: 'c' });
const edited = await c.modifyIdentifierV1([{ action: 0, apiId: 'Steam:1234', identifier: { status: 0, aop: 'Los Santos' } }]);
const id: number | undefined = typeof edited === 'string' ? undefined : edited.id;
const version = await c.getVersion({});
const name: string | undefined = version.name;
// @ts-expect-error action is required
await c.modifyIdentifierV1([{ apiId: 'x' }]);
const e: SonoranError = new SonoranError('x');
console.log(id, name, e.kind);

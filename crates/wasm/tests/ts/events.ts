/// <reference types="node" />
// A TypeScript consumer of `sonoran-cad/events`: `event.type` narrows `event.data`, an
// undocumented type is marked `unknown`, and the handler fits Node's http server.
import { createServer } from 'node:http';
import { createPushHandler, decodePushEvent, DOCUMENTED_TYPES, PushEventError } from 'sonoran-cad/events';
import type { PushEvent, PushEventType, UnitStatusEvent } from 'sonoran-cad/events';

export function handle(event: PushEvent): string {
  if (event.type === 'EVENT_UNIT_STATUS') {
    const ids: number[] | undefined = event.data.identIds;
    const payload: UnitStatusEvent = event.data;
    return `${ids} ${payload.status}`;
  }
  switch (event.type) {
    case 'EVENT_911':
      return event.data.call.caller ?? '';
    case 'EVENT_DISPATCH_NEW':
      // @ts-expect-error a dispatch has no `caller`
      return event.data.dispatch.caller;
  }
  if (event.unknown) {
    const raw: unknown = event.data;
    const type: string = event.type;
    return `${type} ${JSON.stringify(raw)}`;
  }
  const known: PushEventType = event.type;
  return known;
}

const login = decodePushEvent('EVENT_UNIT_LOGIN', [{ unit: { id: 1 } }]);
const unitId: number | undefined = login.data.unit.id;
const any: PushEvent = decodePushEvent(String(process.argv[2]), {});
const first: PushEventType = DOCUMENTED_TYPES[0];

const server = createServer(
  createPushHandler({
    apiKey: 'k',
    maxBodyBytes: 65536,
    onEvent: async (event) => {
      console.log(handle(event));
    },
    onError: (error) => console.error(error instanceof PushEventError ? error.kind : error),
  }),
);
// @ts-expect-error apiKey is required
createPushHandler({ onEvent() {} });
console.log(unitId, any.type, first, server.listening);

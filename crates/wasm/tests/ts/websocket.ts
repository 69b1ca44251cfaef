// `sonoran-cad/websocket` from a strict CommonJS TypeScript project: `on()` is typed by event
// name (the handler's `event.data` is that type's payload), unknown names and wrong fields do
// not typecheck, and the session's own events have their own values.
import { connectWebsocket, WebsocketError, DEFAULT_SERVER_ID } from 'sonoran-cad/websocket';
import type { PushEvent, PushEventMap, WebsocketSession } from 'sonoran-cad/websocket';

export async function bot(): Promise<void> {
  // No serverId: server 1, as the REST client defaults.
  const session: WebsocketSession = await connectWebsocket({ communityId: 'c', apiKey: 'k', logger: 'warning' });
  const server: 1 = DEFAULT_SERVER_ID;
  session.on('EVENT_UNIT_STATUS', (ev) => {
    const status: number | undefined = ev.data.status;
    const ids: number[] | undefined = ev.data.identIds;
    console.log(status, ids, server);
  });
  session.on('EVENT_UNIT_LOGIN', (ev) => console.log(ev.data.unit.id));
  // @ts-expect-error: a misspelled event name is refused
  session.on('EVENT_UNIT_STAUTS', () => {});
  // @ts-expect-error: EVENT_UNIT_STATUS has no `statuss`
  session.on('EVENT_UNIT_STATUS', (ev) => console.log(ev.data.statuss));
  // @ts-expect-error: the payload of EVENT_UNIT_STATUS is not EVENT_911's
  session.on('EVENT_UNIT_STATUS', (ev) => console.log(ev.data.call));
  session.on('*', (ev: PushEvent) => {
    if (ev.type === 'EVENT_911') console.log(ev.data.call.caller);
    else if (ev.unknown) console.log(ev.type);
  });
  session.on('connected', ({ reconnect }) => console.log(reconnect ? 'resynchronise' : 'load'));
  session.on('disconnected', (error) => console.log(error?.message));
  session.on('reconnecting', ({ attempt, afterMs }) => console.log(attempt, afterMs));
  session.on('reconnected', () => console.log('back'));
  session.on('closed', () => console.log('closed'));
  session.on('error', (error: WebsocketError) => console.log(error.code === 'overflow', session.droppedEvents));
  const logout: PushEventMap['EVENT_UNIT_LOGOUT'] = { type: 'EVENT_UNIT_LOGOUT', data: { identId: 1 } };
  console.log(logout.data.identId, session.serverId);
  // @ts-expect-error: serverId is a number or null
  await connectWebsocket({ communityId: 'c', apiKey: 'k', serverId: '1' });
  // @ts-expect-error: not a logging level
  await connectWebsocket({ communityId: 'c', apiKey: 'k', logger: 'loud' });
  await connectWebsocket({ communityId: 'c', apiKey: 'k', serverId: null, maxQueuedEvents: 50 });
  for await (const event of session) {
    if (event.type === 'EVENT_UNIT_LOGOUT') console.log(event.data.identId);
  }
}

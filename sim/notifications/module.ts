// The Notification Service as one API area of the simulator (module.ts): its /api/v2/notifications routes, its
// control endpoints, the channels' WebSockets and the scripted join. The state lives in service.ts.
import { ControlError, type ApiRequest, type SimModuleFactory } from '../module';
import { isJson } from '../request';
import { ApiError } from '../api-error';
import { notificationControlRoutes, validateOptions } from './control-routes';
import { NotificationService, type NotificationRequest } from './service';

export const notifications: SimModuleFactory = (sim) => {
  const service = new NotificationService(validateOptions(sim.options.notifications ?? {}), sim.timers);
  sim.store.onLegChange((c, p, previous) => service.conversationChanged(c, p, previous));
  const withRequest =
    <T>(fn: (r: NotificationRequest, a: ApiRequest) => T) =>
    (a: ApiRequest) =>
      fn(request(a), a);
  return {
    routes: [
      { method: 'GET', path: 'notifications/availabletopics', handle: withRequest((r) => service.availableTopics(r)) },
      { method: 'POST', path: 'notifications/channels', handle: withRequest((r) => service.createChannel(r)) },
      { method: 'GET', path: 'notifications/channels', handle: withRequest((r) => service.listChannels(r)) },
      { method: 'HEAD', path: 'notifications/channels/{channelId}', handle: withRequest((r, a) => service.headChannel(r, a.params.channelId)) },
      ...['GET', 'POST', 'PUT', 'DELETE'].map((method) => ({
        method,
        path: 'notifications/channels/{channelId}/subscriptions',
        handle: withRequest((r, a) => service.subscriptions(method, r, a.params.channelId)),
      })),
    ],
    control: [
      ...notificationControlRoutes(service),
      {
        // A scripted join (a conference add, a transfer): the change is published like any other.
        method: 'POST',
        path: 'conversations/{conversationId}/participants',
        handle: (body, { conversationId }) => {
          const c = sim.store.find(conversationId);
          if (!c) throw new ControlError(`unknown conversationId ${conversationId}`);
          return { status: 200, body: sim.store.join(c, body) };
        },
      },
    ],
    upgrade: (req, socket, head) => service.upgrade(req, socket, head),
    reset: () => service.reset(),
    close: () => service.close(),
  };
};

/** What the service needs of a request: the bearer already passed the server's check. */
function request({ req, raw, clientId }: ApiRequest): NotificationRequest {
  let body: unknown;
  if (raw.length) {
    if (!isJson(req))
      throw new ApiError(
        415,
        'unsupported.media.type',
        `Content-Type [${req.headers['content-type'] ?? ''}] is not supported; use application/json.`,
      );
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new ApiError(400, 'bad.request', `The request could not be understood by the server due to malformed syntax: ${(err as Error).message}`);
    }
  }
  return {
    query: new URL(req.url ?? '/', 'http://sim').searchParams,
    clientId,
    token: /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '',
    host: req.headers.host ?? '127.0.0.1',
    body,
  };
}

// The Notification Service's control endpoints under /__sim/notifications/ (SimControl.notifications is their
// client): the input checks, then the service's fault and state calls. Bad input: ControlError (400).
import { ControlError, type ControlRoute, type Reply } from '../module';
import type { Notification } from './events';
import type { EventFault, NotificationOptions, NotificationService, Rejection } from './service';

/** The simulator's own text: the real rejection message is not known, so clients must not match on it. */
const DEFAULT_REJECTION = 'The client is not permitted to subscribe to this topic (simulator).';

export function notificationControlRoutes(service: NotificationService): ControlRoute[] {
  const done: Reply = { status: 204 };
  const post = (path: string, handle: (b: Record<string, unknown>, channelId: string) => void): ControlRoute => ({
    method: 'POST',
    path: `notifications/${path}`,
    handle: (body, { channelId }) => (handle(objectBody(body), channelId), done),
  });
  return [
    { method: 'GET', path: 'notifications', handle: () => ({ status: 200, body: service.state() }) },
    { method: 'PATCH', path: 'notifications/options', handle: (body) => (service.setOptions(validateOptions(objectBody(body))), done) },
    { method: 'PUT', path: 'notifications/permissions', handle: (body) => (setPermissions(service, objectBody(body)), done) },
    post('reject', (b) => service.addRejection(rejection(b, 'reject'))),
    post('events/lose', (b) => service.addEventFault(eventFault('lose', b))),
    post('events/delay', (b) => service.addEventFault(eventFault('delay', b))),
    post('publish', (b) => {
      if (typeof b.topicName !== 'string' || !b.topicName) throw new ControlError('publish needs topicName (string)');
      service.publish(b.topicName, b.eventBody ?? {});
    }),
    post('channels/{channelId}/drop', (_, id) => service.dropChannelSocket(id)),
    post('channels/{channelId}/socket-closing', (b, id) => {
      const after = b.closeAfterMs ?? 50;
      if (typeof after !== 'number' || !(after >= 0)) throw new ControlError('closeAfterMs must be a number >= 0');
      service.socketClosing(id, after);
    }),
    post('channels/{channelId}/expire', (_, id) => service.expireChannel(id)),
    post('channels/{channelId}/silence', (_, id) => service.silence(id)),
    // Any message, as is, on one channel's socket: e.g. v2.system.no_longer_subscribed.{channelId}.
    post('channels/{channelId}/send', (b, id) => {
      if (typeof b.topicName !== 'string') throw new ControlError('the message needs topicName (string)');
      service.sendTo(id, b as unknown as Notification);
    }),
  ];
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ControlError('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The start options (SimOptions.notifications) and PATCH /__sim/notifications/options. */
export function validateOptions(o: unknown): NotificationOptions {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ControlError('notification options must be an object');
  const v = o as Record<string, unknown>;
  const positive = ['heartbeatMs', 'channelLifetimeMs', 'maxChannels', 'maxTopicsPerChannel'];
  for (const k of Object.keys(v)) if (![...positive, 'eventLagMs'].includes(k)) throw new ControlError(`unknown notification option ${k}`);
  for (const k of positive) if (v[k] !== undefined && !(typeof v[k] === 'number' && v[k] > 0)) throw new ControlError(`${k} must be a number > 0`);
  if (v.eventLagMs !== undefined && !(typeof v.eventLagMs === 'number' && v.eventLagMs >= 0))
    throw new ControlError('eventLagMs must be a number >= 0');
  return v as NotificationOptions;
}

function setPermissions(service: NotificationService, b: Record<string, unknown>): void {
  const rejected = b.rejected ?? [];
  if (!Array.isArray(rejected)) throw new ControlError('rejected must be an array');
  const rules = rejected.map((r, i) => rejection(r, `rejected[${i}]`));
  const required = new Map<string, string[]>();
  const rp = b.requiresPermissions ?? {};
  if (!rp || typeof rp !== 'object' || Array.isArray(rp))
    throw new ControlError('requiresPermissions must be an object: topic template -> permissions');
  for (const [t, perms] of Object.entries(rp)) {
    if (!Array.isArray(perms) || !perms.every((x) => typeof x === 'string'))
      throw new ControlError(`requiresPermissions.${t} must be an array of strings`);
    required.set(t, perms);
  }
  service.setPermissions(rules, required);
}

/** A topic or a template with `{id}` (any id) as a case-insensitive whole-name pattern. */
function topicPattern(topic: unknown, at: string): RegExp {
  if (typeof topic !== 'string' || !topic) throw new ControlError(`${at}.topic must be a topic name or template`);
  const src = topic
    .split('{id}')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^.]+');
  return new RegExp(`^${src}$`, 'i');
}

function rejection(r: unknown, at: string): Rejection {
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new ControlError(`${at} must be an object`);
  const o = r as Record<string, unknown>;
  const missing = o.missingPermissions ?? [];
  if (!Array.isArray(missing) || !missing.every((x) => typeof x === 'string'))
    throw new ControlError(`${at}.missingPermissions must be an array of strings`);
  if (o.rejectionReason !== undefined && typeof o.rejectionReason !== 'string') throw new ControlError(`${at}.rejectionReason must be a string`);
  if (o.clientId !== undefined && typeof o.clientId !== 'string') throw new ControlError(`${at}.clientId must be a string`);
  return {
    re: topicPattern(o.topic, at),
    clientId: o.clientId as string | undefined,
    missingPermissions: missing as string[],
    rejectionReason: (o.rejectionReason as string | undefined) ?? DEFAULT_REJECTION,
  };
}

function eventFault(kind: 'lose' | 'delay', b: Record<string, unknown>): EventFault {
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !(count >= 1)) throw new ControlError('count must be a number >= 1');
  const ms = kind === 'delay' ? b.ms : 0;
  if (typeof ms !== 'number' || !(ms >= 0)) throw new ControlError('ms must be a number >= 0');
  return { kind, remaining: count, ms, re: b.topic === undefined ? undefined : topicPattern(b.topic, kind) };
}

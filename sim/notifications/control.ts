// The Notification Service's part of the control API client (SimControl.notifications): typed calls to
// /__sim/notifications/..., over HTTP like the rest of SimControl.
import type { NotificationOptions } from './service';

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export interface NotificationState {
  channels: { id: string; clientId: string; expires: string; connected: boolean; connections: number; silenced: boolean; topics: string[] }[];
  stats: { published: number; delivered: number; lost: number; delayed: number };
  /** The URLs of the last 100 socket requests, as the clients asked for them. */
  socketRequests: string[];
}

/** A topic, or a template with `{id}` for any id, e.g. `v2.detail.events.conversation.{id}.user.end`. */
export interface TopicRejection {
  topic: string;
  clientId?: string; // default: every client
  missingPermissions?: string[];
  rejectionReason?: string;
}

export class NotificationControl {
  constructor(private readonly call: Call) {}

  /** Every channel (connected or not, its topics) and the event counters. */
  state(): Promise<NotificationState> {
    return this.call('GET', '/__sim/notifications');
  }

  setOptions(o: NotificationOptions): Promise<void> {
    return this.call('PATCH', '/__sim/notifications/options', o);
  }

  /** Replaces the permission set: these topics are Rejected (all others Permitted); what availabletopics lists as required. */
  setPermissions(p: { rejected?: TopicRejection[]; requiresPermissions?: Record<string, string[]> }): Promise<void> {
    return this.call('PUT', '/__sim/notifications/permissions', p);
  }

  /** Adds one rejected topic (or template) to the permission set. */
  rejectTopic(r: TopicRejection): Promise<void> {
    return this.call('POST', '/__sim/notifications/reject', r);
  }

  /** The next `count` events (on topics matching `topic`, if given) are never sent. */
  loseEvents(o: { count?: number; topic?: string } = {}): Promise<void> {
    return this.call('POST', '/__sim/notifications/events/lose', o);
  }

  /** The next `count` events (on topics matching `topic`, if given) leave `ms` late. */
  delayEvents(o: { ms: number; count?: number; topic?: string }): Promise<void> {
    return this.call('POST', '/__sim/notifications/events/delay', o);
  }

  /** Sends any event to the channels subscribed to its topic. */
  publish(topicName: string, eventBody: unknown): Promise<void> {
    return this.call('POST', '/__sim/notifications/publish', { topicName, eventBody });
  }

  /** The channel's socket is cut without a close frame (the channel and its topics stay). */
  dropSocket(channelId: string): Promise<void> {
    return this.channelFault(channelId, 'drop');
  }

  /** `v2.system.socket_closing`, then the socket closes (code 1001) after closeAfterMs (default 50). */
  socketClosing(channelId: string, closeAfterMs?: number): Promise<void> {
    return this.channelFault(channelId, 'socket-closing', closeAfterMs === undefined ? {} : { closeAfterMs });
  }

  /** The channel ends now: socket closed, topics gone, HEAD answers 404. */
  expireChannel(channelId: string): Promise<void> {
    return this.channelFault(channelId, 'expire');
  }

  /** The socket stays open but goes quiet: no heartbeat, pong or event until the client reconnects. */
  silence(channelId: string): Promise<void> {
    return this.channelFault(channelId, 'silence');
  }

  /** Sends one message as is on the channel's socket (e.g. `v2.system.no_longer_subscribed.{channelId}`). */
  send(channelId: string, message: { topicName: string; eventBody?: unknown; [k: string]: unknown }): Promise<void> {
    return this.call('POST', `/__sim/notifications/channels/${encodeURIComponent(channelId)}/send`, message);
  }

  private channelFault(channelId: string, fault: string, body: object = {}): Promise<void> {
    return this.call('POST', `/__sim/notifications/channels/${encodeURIComponent(channelId)}/${fault}`, body);
  }
}

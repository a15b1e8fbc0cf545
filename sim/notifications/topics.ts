// The notification topics the simulator knows: what a subscription may name, how it is validated, and what
// GET /api/v2/notifications/availabletopics lists. Topic names: docs/platform.md section 7.
import { UUID_RE } from '../conversation-store';

/** The detail-event suffixes of `v2.detail.events.conversation.{id}.*` (docs/platform.md section 7). */
const DETAIL_EVENTS = [
  'acd.end',
  'acd.start',
  'acw',
  'attributes',
  'contact',
  'customer.end',
  'customer.start',
  'flow.end',
  'flow.start',
  'outbound',
  'user.end',
  'user.start',
  'voicemail.end',
  'voicemail.start',
  'wrapup',
];

export interface TopicTemplate {
  /** As availabletopics names it, with `{id}` for the entity id. */
  id: string;
  description: string;
  /** AvailableTopic.requiresCurrentUser: the tutorials subscribe user topics with user tokens only. */
  requiresCurrentUser: boolean;
}

export const TOPIC_TEMPLATES: readonly TopicTemplate[] = [
  ...DETAIL_EVENTS.map((e) => ({
    id: `v2.detail.events.conversation.{id}.${e}`,
    description: `Conversation detail event ${e}`,
    requiresCurrentUser: false,
  })),
  {
    id: 'v2.routing.queues.{id}.conversations',
    description: 'Conversations of a queue, with every participant, on every change',
    requiresCurrentUser: false,
  },
  { id: 'v2.users.{id}.conversations', description: 'Conversations of a user, with every participant, on every change', requiresCurrentUser: true },
];

/** A subscribable topic, split: its template and the id in it. */
export interface ParsedTopic {
  template: string;
  entityId: string;
}

const SHAPES: { re: RegExp; template: (m: RegExpExecArray) => string }[] = [
  { re: /^v2\.detail\.events\.conversation\.([^.]+)\.(.+)$/, template: (m) => `v2.detail.events.conversation.{id}.${m[2]}` },
  { re: /^v2\.routing\.queues\.([^.]+)\.conversations$/, template: () => 'v2.routing.queues.{id}.conversations' },
  { re: /^v2\.users\.([^.]+)\.conversations$/, template: () => 'v2.users.{id}.conversations' },
];
const KNOWN = new Set(TOPIC_TEMPLATES.map((t) => t.id));

/** The topic split into template and id, or undefined when it names no known topic or its id is no UUID. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  for (const s of SHAPES) {
    const m = s.re.exec(topic);
    if (!m) continue;
    const template = s.template(m);
    if (!KNOWN.has(template) || !UUID_RE.test(m[1])) return undefined;
    return { template, entityId: m[1].toLowerCase() };
  }
  return undefined;
}

/** The key a topic is stored and published under: ids compared without case. */
export const topicKey = (topic: string): string => topic.toLowerCase();

/**
 * GET /api/v2/notifications/availabletopics: AvailableTopicEntityListing (JS SDK index.d.ts `AvailableTopic`).
 * `expand` (SDK: description, enforced, schema, visibility, transports, publicApiTemplateUriPaths,
 * requiresPermissions, permissionDetails, topicParameters) adds those fields; id is always there. Only
 * description and requiresPermissions are served: the real values of the others are not known here.
 */
export function availableTopics(expand: string[], requiresPermissions: (template: string) => string[]): { entities: Record<string, unknown>[] } {
  const want = new Set(expand.flatMap((e) => e.split(',')).map((e) => e.trim()));
  return {
    entities: TOPIC_TEMPLATES.map((t) => {
      const out: Record<string, unknown> = { id: t.id, requiresCurrentUser: t.requiresCurrentUser };
      if (want.has('description')) out.description = t.description;
      if (want.has('requiresPermissions')) out.requiresPermissions = requiresPermissions(t.id);
      return out;
    }),
  };
}

// zod schemas for the conversation answers we read. Lenient with unknown fields (Genesys adds fields often:
// zod objects strip them) and strict on the fields we use. Shapes from docs/platform.md sections 2, 3 and 5.
import { z } from 'zod';

// A field Genesys sends as null comes out undefined: one pass per object (noNulls), not a transform per field.
// Those are zod pipes: a 4-party conversation went through about 130 per read, a third of what a guarded kick
// allocated (issue 11); one pass per object does the same for a fraction of it.
const maybeString = z.string().nullish();
const maybeBool = z.boolean().nullish();
type NoNulls<T> = { [K in keyof T]: Exclude<T[K], null> };
function noNulls<T extends Record<string, unknown>>(o: T): NoNulls<T> {
  for (const k in o) if (o[k] === null) (o as Record<string, unknown>)[k] = undefined;
  return o as NoNulls<T>;
}

/** One communication of a participant (calls[], chats[], emails[]...): the state lives here. */
export const Communication = z
  .object({
    id: maybeString,
    state: maybeString,
    held: maybeBool,
    muted: maybeBool,
    confined: maybeBool,
    recording: maybeBool,
    disconnectType: maybeString,
    connectedTime: maybeString,
    disconnectedTime: maybeString,
    peerId: maybeString,
  })
  .transform(noNulls);
export type Communication = z.infer<typeof Communication>;

const communications = z.array(Communication).nullish();

export const MEDIA_ARRAYS = [
  'calls',
  'callbacks',
  'chats',
  'emails',
  'messages',
  'videos',
  'screenshares',
  'cobrowsesessions',
  'socialExpressions',
] as const;
export type MediaArray = (typeof MEDIA_ARRAYS)[number];

export const Wrapup = z.object({ code: maybeString, notes: maybeString }).passthrough().transform(noNulls);

export const Participant = z
  .object({
    id: z.string(),
    purpose: maybeString,
    name: maybeString,
    userId: maybeString,
    queueId: maybeString,
    externalContactId: maybeString,
    address: maybeString,
    ani: maybeString,
    dnis: maybeString,
    startTime: maybeString,
    connectedTime: maybeString,
    endTime: maybeString,
    wrapupRequired: maybeBool,
    wrapup: Wrapup.nullish(),
    calls: communications,
    callbacks: communications,
    chats: communications,
    emails: communications,
    messages: communications,
    videos: communications,
    screenshares: communications,
    cobrowsesessions: communications,
    socialExpressions: communications,
  })
  .transform(noNulls);
export type Participant = z.infer<typeof Participant>;

export const Conversation = z
  .object({
    id: z.string(),
    startTime: maybeString,
    endTime: maybeString,
    participants: z.array(Participant).default([]),
  })
  .transform(noNulls);
export type Conversation = z.infer<typeof Conversation>;

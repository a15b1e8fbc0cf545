// zod schemas for the conversation answers we read. Lenient with unknown fields (Genesys adds fields often:
// zod objects strip them) and strict on the fields we use. Shapes from genesys-api.md sections 2, 3 and 5.
import { z } from 'zod';

const optionalString = z.string().nullish().transform((v) => v ?? undefined);
const optionalBool = z.boolean().nullish().transform((v) => v ?? undefined);

/** One communication of a participant (calls[], chats[], emails[]...): the state lives here. */
export const Communication = z.object({
  id: optionalString,
  state: optionalString,
  held: optionalBool,
  muted: optionalBool,
  confined: optionalBool,
  recording: optionalBool,
  disconnectType: optionalString,
  connectedTime: optionalString,
  disconnectedTime: optionalString,
  peerId: optionalString,
});
export type Communication = z.infer<typeof Communication>;

const communications = z.array(Communication).nullish().transform((v) => v ?? undefined);

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

export const Wrapup = z.object({ code: optionalString, notes: optionalString }).passthrough();

export const Participant = z.object({
  id: z.string(),
  purpose: optionalString,
  name: optionalString,
  userId: optionalString,
  queueId: optionalString,
  externalContactId: optionalString,
  address: optionalString,
  ani: optionalString,
  dnis: optionalString,
  startTime: optionalString,
  connectedTime: optionalString,
  endTime: optionalString,
  wrapupRequired: optionalBool,
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
});
export type Participant = z.infer<typeof Participant>;

export const Conversation = z.object({
  id: z.string(),
  startTime: optionalString,
  endTime: optionalString,
  participants: z.array(Participant).default([]),
});
export type Conversation = z.infer<typeof Conversation>;

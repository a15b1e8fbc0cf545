// zod schemas for the platform answers every request can get: the token endpoint and the error body.
// Lenient with unknown fields (zod objects strip them), strict on the fields we use.
import { z } from 'zod';

const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** Lenient: expires_in may be missing (the token manager then assumes the shortest lifetime Genesys allows). */
export const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().nullish(),
  expires_in: z.number().positive().nullish(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const ErrorBody = z.object({
  message: optionalString,
  code: optionalString,
  status: z.number().nullish(),
  messageWithParams: optionalString,
  messageParams: z.record(z.string(), z.unknown()).nullish(),
  contextId: optionalString,
  details: z.array(z.unknown()).nullish(),
  errors: z.array(z.unknown()).nullish(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The failure body of the token endpoint. */
export const OAuthErrorBody = z.object({
  error: optionalString,
  description: optionalString,
  error_description: optionalString,
});

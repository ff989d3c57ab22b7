import { z } from 'zod';
import { PROVIDERS, SESSION_PHASES } from '../domain/index.js';

/** Request times: any ISO-8601 date-time with an offset. */
export const isoTime = z.iso.datetime({
  offset: true,
  error: 'expected an ISO-8601 date-time, e.g. 2026-11-21T10:00:00Z',
});

/** Response times: ISO-8601 UTC (`toISOString()`), null where there is none. */
export const utcTime = z.iso.datetime();
export const optionalUtcTime = utcTime.nullable();

export const providerSchema = z.enum(PROVIDERS);
export const sessionPhaseSchema = z.enum(SESSION_PHASES);

export const errorSchema = z.object({ error: z.string(), details: z.unknown().optional() });

/** What both provider adapters return, plus the two tiny helpers they share. */
import { hash } from 'node:crypto';
import { storable } from '../db/storable.js';
import type { AttendanceEvent, Provider } from '../domain/events.js';

/** The provider room a webhook is about; `startTime` is epoch ms. */
export interface RoomRef {
  provider: Provider;
  /** Zoom meeting/webinar id (shared by recurring instances) or LiveKit room name. */
  roomId: string;
  /** One occurrence of the room: Zoom `uuid`, LiveKit room `sid`. */
  instanceId: string;
  topic?: string;
  startTime?: number;
}

export interface InvalidWebhook {
  type: 'invalid';
  /** Names the offending field paths, fit for a 400 response. */
  message: string;
}

export type ParsedWebhook =
  { type: 'ignored'; event: string } | { type: 'events'; room: RoomRef; events: AttendanceEvent[] } | InvalidWebhook;

export type VerifyResult<Reason extends string> = { ok: true } | { ok: false; reason: Reason };

/** A header as Node delivers it; a repeated header arrives as an array. */
export type HeaderValue = string | string[] | undefined;

/** One header value, or undefined when absent or repeated (a repeated auth header is never trusted). */
export function singleHeader(value: HeaderValue): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A short dedupe key derived from the facts that identify a provider event: the same facts always give the
 * same key, so a redelivered notification is recognised. 22 base64url chars = 132 bits of SHA-256.
 */
export function derivedKey(provider: Provider, facts: ReadonlyArray<string | number | undefined>): string {
  // crypto.hash: the same digest as createHash().update().digest() in one call, without a Hash object per key.
  return `${provider}:${hash('sha256', JSON.stringify(facts), 'base64url').slice(0, 22)}`;
}

/** Provider times must be real dates of this era; anything else is a malformed payload, not a time to store. */
const EARLIEST_TIME = Date.UTC(2000, 0, 1);
const LATEST_TIME = Date.UTC(2100, 0, 1);

/**
 * Refuses (as `invalid`) a parsed webhook whose event times fall outside 2000–2100; makes its strings storable
 * (the facts store does so again for every source: webhooks, report rows, reconcile snapshots).
 */
export function withPlausibleTimes<P extends { type: string }>(parsed: P): P | InvalidWebhook {
  if (parsed.type !== 'events') return parsed;
  const { events } = parsed as unknown as { events: AttendanceEvent[] };
  (parsed as unknown as { events: AttendanceEvent[] }).events = storable(events);
  for (const event of events) {
    for (const time of [
      event.at,
      'leftAt' in event ? event.leftAt : undefined,
      'joinedAt' in event ? event.joinedAt : undefined,
    ]) {
      if (time !== undefined && !(time >= EARLIEST_TIME && time < LATEST_TIME)) {
        return { type: 'invalid', message: `${event.kind} time ${time} ms is not a date between 2000 and 2100` };
      }
    }
  }
  return parsed;
}

import {
  calculateAttendance,
  type AttendanceEvent,
  type AttendanceResult,
  type SessionSettings,
} from '../../src/domain/index.js';
import type { ParsedWebhook } from '../../src/providers/common.js';
import { parseLiveKitWebhook } from '../../src/providers/livekit.js';
import { parseZoomWebhook, type ZoomParsedWebhook } from '../../src/providers/zoom.js';
import { engineAttendance, reportTuples, type ReportColumns } from './attendance.js';
import { livekitRequest, zoomRequest } from './sign.js';
import { eventually, type TestSystem } from './system.js';

export const MIN = 60_000;
export const ZOOM_SECRET = 'zoom-test-secret';
export const LIVEKIT_KEY = 'APItestKey';
export const LIVEKIT_SECRET = 'livekit-test-secret-at-least-32-characters';
export const PROVIDER_SETTINGS = {
  ZOOM_WEBHOOK_SECRET_TOKEN: ZOOM_SECRET,
  LIVEKIT_API_KEY: LIVEKIT_KEY,
  LIVEKIT_API_SECRET: LIVEKIT_SECRET,
};

/** Whole-minute past start, so provider times (Zoom: seconds, LiveKit: seconds) stay exact. */
export function pastMinute(minutesAgo: number): number {
  return Math.floor(Date.now() / MIN) * MIN - minutesAgo * MIN;
}

export interface Sent {
  status: number;
  body: { status?: string; sessionId?: string; error?: string };
}

export type Provider = 'zoom' | 'livekit';

/** A webhook ready to POST: path, the exact signed body, and its headers. */
export interface SignedWebhook {
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** Signs a payload exactly as the provider does, afresh at each call (Zoom's signature carries its timestamp). */
export async function signedWebhook(provider: Provider, payload: object): Promise<SignedWebhook> {
  if (provider === 'zoom') {
    const { body, headers } = zoomRequest(payload, ZOOM_SECRET);
    return { path: '/webhooks/zoom', body, headers: { ...headers } };
  }
  const { body, headers } = await livekitRequest(payload, LIVEKIT_KEY, LIVEKIT_SECRET);
  return { path: '/webhooks/livekit', body, headers: { ...headers } };
}

/** The normalised events of payloads, as the product's adapters produce them (non-event payloads have none). */
export function eventsOf(provider: Provider, payloads: readonly object[]): AttendanceEvent[] {
  return payloads.flatMap((payload) => {
    const parsed: ParsedWebhook | ZoomParsedWebhook =
      provider === 'zoom' ? parseZoomWebhook(payload) : parseLiveKitWebhook(payload);
    return parsed.type === 'events' ? parsed.events : [];
  });
}

/** A provider's webhooks as sent, remembering every payload so the test can compute the engine's expectation. */
export class WebhookSender {
  readonly payloads: object[] = [];

  constructor(
    private readonly system: TestSystem,
    private readonly provider: Provider,
  ) {}

  /** Signs and POSTs one payload exactly as the provider would; asserts nothing, returns the answer. */
  async send(payload: object): Promise<Sent> {
    this.payloads.push(payload);
    const { path, body, headers } = await signedWebhook(this.provider, payload);
    const res = await fetch(`${this.system.api.url}${path}`, { method: 'POST', body, headers });
    return { status: res.status, body: (await res.json()) as Sent['body'] };
  }

  /** Sends and requires a 200 accept. */
  async accept(payload: object): Promise<Sent> {
    const sent = await this.send(payload);
    if (sent.status !== 200) throw new Error(`webhook answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    return sent;
  }

  /** The normalised events of everything sent, as the engine sees them. */
  events(): AttendanceEvent[] {
    return eventsOf(this.provider, this.payloads);
  }

  /** What the engine computes from the same log, for comparison with what the system persisted. */
  expected(session: SessionSettings): AttendanceResult {
    return calculateAttendance({ session, events: this.events() });
  }
}

export interface ReportRow extends ReportColumns {
  user_id: string | null;
  auto_calculated: boolean;
}

export async function reports(system: TestSystem, sessionId: string): Promise<ReportRow[]> {
  const { rows } = await system.pool.query<ReportRow>(
    `SELECT person_key, user_id, attended_seconds, percentage, status, late, late_minutes, cycle_count, first_join, last_leave, auto_calculated
     FROM session_reports JOIN participants USING (session_id, person_key) WHERE session_id = $1 ORDER BY person_key`,
    [sessionId],
  );
  return rows;
}

/** Waits until the workflow has persisted its `count`-th calculation of the session. */
export async function waitForCalculations(
  system: TestSystem,
  sessionId: string,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const { summaryQuery } = await import('../../src/workflows/messages.js');
  const handle = system.client.workflow.getHandle(`session-${sessionId}`);
  await eventually(
    async () => ((await handle.query(summaryQuery)).calculations >= count ? true : undefined),
    timeoutMs,
    `calculation #${count} of ${sessionId}`,
  );
}

/** Persisted reports side by side with the engine's result for the same log, for a deep-equal comparison. */
export function comparable(rows: ReportRow[], expected: AttendanceResult) {
  return { persisted: reportTuples(rows), engine: engineAttendance(expected).reports };
}

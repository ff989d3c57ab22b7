import { createHmac, timingSafeEqual } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ProviderRefused, SessionNotFound, Unavailable } from '../domain/errors.js';
import { loadAttendanceReport } from '../db/reports.js';
import type { ActivityDeps } from './deps.js';

/** A receiver that hangs must not hold the attempt forever; Temporal retries after this. */
const PUSH_TIMEOUT_MS = 15_000;
/** A receiver that refuses the report (4xx) is asked this many times, then the push gives up. */
const REFUSED_ATTEMPTS = 5;
/** Receivers refuse signatures older (or newer) than this, so a captured request cannot be replayed later. */
const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** `v1=` + hex HMAC-SHA256(secret, `v1:{timestamp}:{raw body}`), the scheme Zoom uses with its `v0`. */
function signature(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:`).update(rawBody).digest('hex')}`;
}

export interface ReportSignatureInput {
  secret: string;
  /** The request's headers (node's `req.headers` will do). */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
  nowMs?: number;
}

/** For receivers of the report push: true when the request is signed with `secret` and recent. */
export function verifyReportSignature({ secret, headers, rawBody, nowMs = Date.now() }: ReportSignatureInput): boolean {
  const timestamp = headers['x-rollcall-timestamp'];
  const presented = headers['x-rollcall-signature'];
  if (typeof timestamp !== 'string' || typeof presented !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signature(secret, timestamp, rawBody));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Pushes a session's calculated attendance to REPORT_WEBHOOK_URL. Throws on anything but a 2xx so Temporal
 * retries until the receiver accepts; every attempt re-signs (fresh timestamp) but keeps the delivery id, so
 * receivers can drop duplicates. The report is read when sent: a retry after a recalculation sends the newer one.
 */
export function reportPushActivities({ config, pool, logger }: ActivityDeps) {
  return {
    async pushReport(sessionId: string, version: number): Promise<'sent' | 'disabled' | 'superseded'> {
      const target = config.reportWebhook;
      if (!target) return 'disabled';
      const report = await loadAttendanceReport(pool, sessionId);
      if (!report) throw new SessionNotFound(sessionId);
      // A newer calculation has its own push, which sends the same newest report: this one has nothing left to do.
      if (report.calculationSeq > version) return 'superseded';
      const body = JSON.stringify(report);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-rollcall-timestamp': timestamp,
          'x-rollcall-signature': signature(target.secret, timestamp, body),
          // A session that has never been calculated (nobody to report) still gets a stable id.
          'x-rollcall-delivery': `${sessionId}:${report.calculatedAt ?? 'uncalculated'}`,
        },
        body,
        // A redirect is not an acceptance, and the signed report must not follow it elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        const message = `report webhook refused the report of session ${sessionId} (${response.status})`;
        // A receiver mid-deploy may refuse for a moment: a refusal counts after REFUSED_ATTEMPTS of them.
        throw Context.current().info.attempt >= REFUSED_ATTEMPTS
          ? new ProviderRefused(message)
          : new Unavailable(message);
      }
      if (!response.ok) throw new Unavailable(`report webhook answered ${response.status} for session ${sessionId}`);
      logger.info(
        { sessionId, calculatedAt: report.calculatedAt, people: report.people.length },
        'attendance report pushed',
      );
      return 'sent';
    },
  };
}

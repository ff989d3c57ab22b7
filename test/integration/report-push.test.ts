import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { reportPushActivities, verifyReportSignature } from '../../src/activities/report-push.js';
import { saveAttendance } from '../../src/db/attendance.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { loadAttendanceReport } from '../../src/db/reports.js';
import { insertSession } from '../../src/db/sessions.js';
import { calculateAttendance, type AttendanceEvent } from '../../src/domain/index.js';
import { freePort } from '../../src/infra/ports.js';
import { createClient } from '../../src/infra/temporal-client.js';
import { createLogger } from '../../src/logger.js';
import type { SessionSpec } from '../../src/workflows/types.js';
import { testConfig } from '../support/system.js';

const SECRET = 'push-secret';
const MINUTE = 60_000;

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  verified: boolean;
}

/** A report receiver that refuses the first delivery with a 500 and accepts the rest, verifying each. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      deliveries.push({ headers: req.headers, raw, verified: verifyReportSignature({ secret: SECRET, headers: req.headers, rawBody: raw }) });
      res.writeHead(deliveries.length === 1 ? 500 : 200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`, deliveries, server };
}

/** A session with calculated attendance, persisted as the calculation activity does. */
async function calculatedSession(pool: Pool, id: string): Promise<number> {
  const start = Date.now() - 90 * MINUTE;
  const spec: SessionSpec = { id, provider: 'livekit', room: id, adHoc: false, scheduledStart: start, scheduledEnd: start + 60 * MINUTE, roster: [{ userId: 'p-1', role: 'student' }], policy: { kind: 'percentage' } };
  await insertSession(pool, spec, `session-${id}`);
  const person = { guestKey: 'p-1', providerUserIds: ['p-1'] };
  const events: AttendanceEvent[] = [
    { kind: 'joined', key: 'j', at: start + 10 * MINUTE, source: 'webhook', connection: 'c1', person },
    { kind: 'left', key: 'l', at: start + 40 * MINUTE, source: 'webhook', connection: 'c1', person },
  ];
  await saveAttendance(pool, id, calculateAttendance({ session: spec, events }), { auto: true, calculatedAt: new Date() });
  return start;
}

describe('report push', () => {
  let pool: Pool;
  const logger = createLogger('test', 'silent');
  // The push never touches Temporal; activities just all share one set of dependencies.
  const temporal = createClient(testConfig());
  before(() => {
    pool = createPool(testConfig().databaseUrl!);
  });
  after(async () => {
    await pool.end();
    await temporal.connection.close();
  });

  it('is disabled without REPORT_WEBHOOK_URL', async () => {
    const receiver = await startReceiver();
    try {
      await calculatedSession(pool, 'push-off');
      assert.equal(await reportPushActivities({ config: testConfig(), pool, logger, temporal }).pushReport('push-off'), 'disabled');
      assert.equal(receiver.deliveries.length, 0);
    } finally {
      receiver.server.close();
    }
  });

  it('throws on a refused delivery so Temporal retries, then sends the same signed report again', async () => {
    const receiver = await startReceiver();
    try {
      await calculatedSession(pool, 'push-1');
      const push = reportPushActivities({ config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }), pool, logger, temporal });
      await assert.rejects(push.pushReport('push-1'), /report webhook answered 500 for session push-1/);
      assert.equal(await push.pushReport('push-1'), 'sent');

      const report = await loadAttendanceReport(pool, 'push-1');
      assert.equal(report?.people[0]?.attendedSeconds, 30 * 60);
      assert.equal(receiver.deliveries.length, 2);
      for (const delivery of receiver.deliveries) {
        assert.equal(delivery.verified, true);
        assert.equal(delivery.headers['content-type'], 'application/json');
        assert.equal(delivery.headers['x-rollcall-delivery'], `push-1:${report.calculatedAt}`);
        assert.match(String(delivery.headers['x-rollcall-signature']), /^v1=[0-9a-f]{64}$/);
        assert.deepEqual(JSON.parse(delivery.raw.toString('utf8')), report);
      }
    } finally {
      receiver.server.close();
    }
  });

  it('verifies only the secret, the exact body and a recent timestamp', async () => {
    const receiver = await startReceiver();
    try {
      await calculatedSession(pool, 'push-2');
      const push = reportPushActivities({ config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }), pool, logger, temporal });
      await push.pushReport('push-2').catch(() => undefined);
      const { headers, raw } = receiver.deliveries[0]!;
      const sentAt = Number(headers['x-rollcall-timestamp']) * 1000;
      assert.equal(verifyReportSignature({ secret: SECRET, headers, rawBody: raw, nowMs: sentAt }), true);
      assert.equal(verifyReportSignature({ secret: 'other', headers, rawBody: raw, nowMs: sentAt }), false);
      assert.equal(verifyReportSignature({ secret: SECRET, headers, rawBody: Buffer.concat([raw, Buffer.from(' ')]), nowMs: sentAt }), false);
      assert.equal(verifyReportSignature({ secret: SECRET, headers, rawBody: raw, nowMs: sentAt + 6 * MINUTE }), false);
      assert.equal(verifyReportSignature({ secret: SECRET, headers: { ...headers, 'x-rollcall-timestamp': undefined }, rawBody: raw, nowMs: sentAt }), false);
    } finally {
      receiver.server.close();
    }
  });

  it('throws on a network error, and fails without retry for an unknown session', async () => {
    const config = testConfig({ REPORT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/reports`, REPORT_WEBHOOK_SECRET: SECRET });
    const push = reportPushActivities({ config, pool, logger, temporal });
    await calculatedSession(pool, 'push-3');
    await assert.rejects(push.pushReport('push-3'), /fetch failed/);
    await assert.rejects(push.pushReport('no-such-session'), (error) => error instanceof ApplicationFailure && error.nonRetryable);
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withFailureTable } from '../../src/activities/failures.js';
import { reportPushActivities, verifyReportSignature } from '../../src/activities/report-push.js';
import { saveAttendance } from '../../src/db/attendance.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { loadAttendanceReport, type AttendanceReport } from '../../src/db/reports.js';
import { insertSession } from '../../src/db/sessions.js';
import { calculateAttendance, type AttendanceEvent } from '../../src/domain/index.js';
import { freePort } from '../../src/infra/ports.js';
import { createClient } from '../../src/infra/temporal-client.js';
import { createLogger } from '../../src/logger.js';
import type { sessionWorkflow } from '../../src/workflows/index.js';
import type { SessionSpec } from '../../src/workflows/types.js';
import { PROVIDER_SETTINGS, WebhookSender, pastMinute } from '../support/scenario.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
} from '../support/sign.js';
import { eventually, request, startSystem, testConfig, type TestSystem } from '../support/system.js';

const SECRET = 'push-secret';
const MINUTE = 60_000;

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

/** A report receiver that answers each delivery with `statusFor` (by default a 500 for the first, 200 for the rest), verifying each. */
async function startReceiver(
  statusFor: (n: number) => number = (n) => (n === 1 ? 500 : 200),
): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const status = statusFor(deliveries.length + 1);
      deliveries.push({
        headers: req.headers,
        raw,
        verified: verifyReportSignature({ secret: SECRET, headers: req.headers, rawBody: raw }),
        status,
      });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`, deliveries, server };
}

/** A session with calculated attendance, persisted as the calculation activity does. */
async function calculatedSession(pool: Pool, id: string, seq = 1): Promise<number> {
  const start = Date.now() - 90 * MINUTE;
  const spec: SessionSpec = {
    id,
    provider: 'livekit',
    room: id,
    adHoc: false,
    scheduledStart: start,
    scheduledEnd: start + 60 * MINUTE,
    roster: [{ userId: 'p-1', role: 'student' }],
    policy: { kind: 'percentage' },
  };
  await insertSession(pool, spec, `session-${id}`, undefined);
  const person = { guestKey: 'p-1', providerUserIds: ['p-1'] };
  const events: AttendanceEvent[] = [
    { kind: 'joined', key: 'j', at: start + 10 * MINUTE, source: 'webhook', connection: 'c1', person },
    { kind: 'left', key: 'l', at: start + 40 * MINUTE, source: 'webhook', connection: 'c1', person },
  ];
  await saveAttendance(pool, id, calculateAttendance({ session: spec, events }), {
    auto: true,
    calculatedAt: new Date(),
    seq,
  });
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
      assert.equal(
        await reportPushActivities({ config: testConfig(), pool, logger, temporal }).pushReport('push-off', 1),
        'disabled',
      );
      assert.equal(receiver.deliveries.length, 0);
    } finally {
      receiver.server.close();
    }
  });

  it('throws on a refused delivery so Temporal retries, then sends the same signed report again', async () => {
    const receiver = await startReceiver();
    try {
      await calculatedSession(pool, 'push-1');
      const push = reportPushActivities({
        config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }),
        pool,
        logger,
        temporal,
      });
      await assert.rejects(push.pushReport('push-1', 1), /report webhook answered 500 for session push-1/);
      assert.equal(await push.pushReport('push-1', 1), 'sent');

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
      const push = reportPushActivities({
        config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }),
        pool,
        logger,
        temporal,
      });
      await push.pushReport('push-2', 1).catch(() => undefined);
      const { headers, raw } = receiver.deliveries[0]!;
      const sentAt = Number(headers['x-rollcall-timestamp']) * 1000;
      assert.equal(verifyReportSignature({ secret: SECRET, headers, rawBody: raw, nowMs: sentAt }), true);
      assert.equal(verifyReportSignature({ secret: 'other', headers, rawBody: raw, nowMs: sentAt }), false);
      assert.equal(
        verifyReportSignature({
          secret: SECRET,
          headers,
          rawBody: Buffer.concat([raw, Buffer.from(' ')]),
          nowMs: sentAt,
        }),
        false,
      );
      assert.equal(verifyReportSignature({ secret: SECRET, headers, rawBody: raw, nowMs: sentAt + 6 * MINUTE }), false);
      assert.equal(
        verifyReportSignature({
          secret: SECRET,
          headers: { ...headers, 'x-rollcall-timestamp': undefined },
          rawBody: raw,
          nowMs: sentAt,
        }),
        false,
      );
    } finally {
      receiver.server.close();
    }
  });

  it('throws on a network error, and fails without retry for an unknown session', async () => {
    const config = testConfig({
      REPORT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/reports`,
      REPORT_WEBHOOK_SECRET: SECRET,
    });
    const push = withFailureTable(reportPushActivities({ config, pool, logger, temporal }));
    await calculatedSession(pool, 'push-3');
    await assert.rejects(push.pushReport('push-3', 1), /fetch failed/);
    await assert.rejects(
      push.pushReport('no-such-session', 1),
      (error) => error instanceof ApplicationFailure && error.nonRetryable && error.type === 'SessionNotFound',
    );
  });

  it('leaves a report to the push of a newer calculation, which sends the same newest report', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      await calculatedSession(pool, 'push-4', 1);
      await calculatedSession(pool, 'push-4', 2);
      const push = reportPushActivities({
        config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }),
        pool,
        logger,
        temporal,
      });
      assert.equal(await push.pushReport('push-4', 1), 'superseded');
      assert.equal(receiver.deliveries.length, 0);
      assert.equal(await push.pushReport('push-4', 2), 'sent');
      assert.equal(
        (JSON.parse(receiver.deliveries[0]!.raw.toString('utf8')) as { calculationSeq: number }).calculationSeq,
        2,
      );
    } finally {
      receiver.server.close();
    }
  });

  it('retries a refused report (4xx) a few times, then gives up for good', async () => {
    const receiver = await startReceiver(() => 400);
    try {
      await calculatedSession(pool, 'push-5');
      // As the worker registers it: failing through the activities' failure table.
      const push = withFailureTable(
        reportPushActivities({
          config: testConfig({ REPORT_WEBHOOK_URL: receiver.url, REPORT_WEBHOOK_SECRET: SECRET }),
          pool,
          logger,
          temporal,
        }),
      );
      const attempt = (n: number) =>
        new MockActivityEnvironment({ attempt: n }).run(
          (id: string, version: number) => push.pushReport(id, version),
          'push-5',
          1,
        );
      for (const n of [1, 4]) {
        await assert.rejects(
          attempt(n),
          (error: Error) =>
            !(error instanceof ApplicationFailure) &&
            /refused the report of session push-5 \(400\)/.test(error.message),
        );
      }
      await assert.rejects(
        attempt(5),
        (error) => error instanceof ApplicationFailure && error.nonRetryable && error.type === 'ProviderRefused',
      );
      assert.equal(receiver.deliveries.length, 3);
    } finally {
      receiver.server.close();
    }
  });
});

/**
 * The push runs in a workflow of its own (`report-push-<session>-<seq>`), abandoned by the session's: a receiver
 * that is down for a long while holds up neither the calculation nor the session's finish, and once it is back
 * it gets the newest report.
 */
describe('report push beside the session', () => {
  let system: TestSystem;
  let receiverUp = false;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver(() => (receiverUp ? 200 : 503));
    system = await startSystem({
      ...PROVIDER_SETTINGS,
      REPORT_WEBHOOK_URL: receiver.url,
      REPORT_WEBHOOK_SECRET: SECRET,
      CALCULATION_DELAY: '1s',
      LATE_EVENT_WINDOW: '2s',
    });
  });
  after(async () => {
    await system.stop();
    receiver.server.close();
  });

  it('calculates and finishes while the receiver is down, which gets the newest report once it is back', async () => {
    const S = pastMinute(40);
    const roomName = `push-${Date.now()}`;
    const room = { roomName, roomSid: `RM_${roomName}` };
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: roomName,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(S + 30 * MINUTE).toISOString(),
      roster: [{ userId: 'ana' }, { userId: 'ben' }],
    });
    const { id: sessionId, workflowId } = registered.body;
    const livekit = new WebhookSender(system, 'livekit');
    const ana = { ...room, identity: 'ana', sid: 'PA_ana', joinedAt: S + MINUTE };
    await livekit.accept(livekitRoomStarted({ ...room, at: S }));
    await livekit.accept(livekitParticipantJoined(ana));
    await livekit.accept(livekitParticipantLeft({ ...ana, leftAt: S + 25 * MINUTE }));
    await livekit.accept(livekitRoomFinished({ ...room, at: S + 30 * MINUTE }));

    // The whole session (final calculation, late-event window, finish) while every push is refused with a 503.
    const finished = await Promise.race([
      system.client.workflow.getHandle<typeof sessionWorkflow>(workflowId).result(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the session did not finish while the receiver was down')), 30_000),
      ),
    ]);
    assert.equal(finished.phase, 'calculated');
    assert.ok(receiver.deliveries.length >= 1, 'the report push was tried');
    assert.ok(receiver.deliveries.every((delivery) => delivery.status === 503));
    assert.equal(
      (await system.client.workflow.getHandle(`report-push-${sessionId}-1`).describe()).status.name,
      'RUNNING',
      'the push keeps trying',
    );

    // A late fact after the finish: a new run recalculates; its report is newer than the one still waiting.
    const ben = { ...room, identity: 'ben', sid: 'PA_ben', joinedAt: S + 5 * MINUTE };
    await livekit.accept(livekitParticipantJoined(ben));
    await livekit.accept(livekitParticipantLeft({ ...ben, leftAt: S + 20 * MINUTE }));
    const newest = await eventually(
      async () => {
        const report = await loadAttendanceReport(system.pool, sessionId);
        return report?.people.find((person) => person.userId === 'ben')?.attendedSeconds === 15 * 60
          ? report
          : undefined;
      },
      30_000,
      'the recalculated report',
    );
    assert.ok(newest.calculationSeq >= 2);

    receiverUp = true;
    const accepted = await eventually(
      () => {
        const ok = receiver.deliveries.filter((delivery) => delivery.status === 200);
        return Promise.resolve(ok.length > 0 ? ok : undefined);
      },
      30_000,
      'a report delivered once the receiver is back',
    );
    for (const delivery of accepted) {
      assert.equal(delivery.verified, true);
      const report = JSON.parse(delivery.raw.toString('utf8')) as AttendanceReport;
      assert.equal(report.calculationSeq, newest.calculationSeq, 'only the newest report is delivered');
      assert.deepEqual(report, newest);
    }
  });
});

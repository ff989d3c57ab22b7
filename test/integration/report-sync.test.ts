import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { unrelayedCount } from '../../src/db/facts.js';
import { listen } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { summaryQuery } from '../../src/workflows/messages.js';
import type { PagesOutcome, PagesRequest, ReportSyncResult } from '../../src/workflows/report-sync-types.js';
import { DAILY_SCHEDULE_ID, ensureReportSyncSchedule } from '../../src/zoom-api/start.js';
import {
  generateSeries,
  groundTruth,
  startFakeZoomApi,
  type FakeInstance,
  type FakeSeries,
  type FakeZoomApi,
} from '../support/fake-zoom-api.js';
import { replayAndKeep } from '../support/histories.js';
import { MIN, PROVIDER_SETTINGS, pastMinute, WebhookSender } from '../support/scenario.js';
import { zoomParticipantJoined, zoomParticipantLeft } from '../support/sign.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

interface PersonFigures {
  seconds: number;
  cycles: number;
}

/** Persisted attendance of a session, by person name (the fake gives every person a unique name). */
async function persisted(system: TestSystem, sessionId: string): Promise<Map<string, PersonFigures>> {
  const { rows } = await system.pool.query<{ name: string; attended_seconds: number; cycle_count: number }>(
    'SELECT p.name, r.attended_seconds, r.cycle_count FROM session_reports r JOIN participants p USING (session_id, person_key) WHERE r.session_id = $1',
    [sessionId],
  );
  return new Map(rows.map((row) => [row.name, { seconds: row.attended_seconds, cycles: row.cycle_count }]));
}

/** The attendance the rows give: everyone with time inside [from, to) (people only outside it are not reported). */
function expected(instance: FakeInstance, from: number, to: number): Map<string, PersonFigures> {
  return new Map(
    [...groundTruth(instance, from, to)]
      .filter(([, truth]) => truth.seconds > 0)
      .map(([name, truth]) => [name, { seconds: truth.seconds, cycles: truth.connections }]),
  );
}

const sorted = (figures: Map<string, PersonFigures>) => [...figures].sort(([a], [b]) => (a < b ? -1 : 1));

/** Waits until the session's persisted attendance equals `want` (the workflow recalculates on its own); then asserts it. */
async function attendanceBecomes(
  system: TestSystem,
  sessionId: string,
  want: Map<string, PersonFigures>,
): Promise<void> {
  const same = async () => {
    const have = await persisted(system, sessionId);
    return JSON.stringify(sorted(have)) === JSON.stringify(sorted(want)) ? have : undefined;
  };
  await eventually(same, 40_000, `attendance of ${sessionId} to match the fake's ground truth`).catch(() => undefined);
  assert.deepEqual(sorted(await persisted(system, sessionId)), sorted(want));
}

async function snapshot(system: TestSystem, sessionIds: string[]) {
  const facts = await system.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM room_facts f WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = ANY($1) AND s.room = f.room)',
    [sessionIds],
  );
  const reports = await system.pool.query(
    'SELECT * FROM session_reports WHERE session_id = ANY($1) ORDER BY session_id, person_key',
    [sessionIds],
  );
  const calculations = await Promise.all(
    sessionIds.map(
      async (id) => (await system.client.workflow.getHandle(`session-${id}`).query(summaryQuery)).calculations,
    ),
  );
  return { facts: Number(facts.rows[0]!.n), reports: reports.rows, calculations };
}

/** Waits until the relay has nothing left and the sessions' figures stop changing (recalculations after late facts). */
async function settled(system: TestSystem, sessionIds: string[]) {
  await relayed(system, 60_000);
  let last = JSON.stringify(await snapshot(system, sessionIds));
  return eventually(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const now = await snapshot(system, sessionIds);
      const same = JSON.stringify(now) === last;
      last = JSON.stringify(now);
      return same ? now : undefined;
    },
    90_000,
    'the sessions to settle',
  );
}

async function syncAndWait(
  system: TestSystem,
  body: object,
): Promise<{ workflowId: string; result: ReportSyncResult }> {
  const started = await request<{ workflowId: string }>(system, 'POST', '/api/zoom/report-sync', body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const result = (await system.client.workflow.getHandle(started.body.workflowId).result()) as ReportSyncResult;
  return { workflowId: started.body.workflowId, result };
}

const inMeetingRows = (instance: FakeInstance) => instance.rows.filter((row) => row.status === 'in_meeting').length;

/**
 * A recurring webinar of 3 instances, 2,100 attendees each with rejoins and second devices, synced from a fake
 * Zoom API that rate-limits (429 with and without Retry-After), revokes tokens mid-sync, expires a page token,
 * and insists on double-encoded UUIDs. Each instance has a registered session; attendance must equal the union
 * of each person's rows clipped to the session window, computed from the fake's rows alone.
 */
/** The task queues a workflow was started on and its activities were scheduled on. */
async function taskQueuesOf(system: TestSystem, workflowId: string): Promise<string[]> {
  const { events } = await system.client.workflow.getHandle(workflowId).fetchHistory();
  const queues = (events ?? []).map(
    (event) =>
      event.workflowExecutionStartedEventAttributes?.taskQueue?.name ??
      event.activityTaskScheduledEventAttributes?.taskQueue?.name,
  );
  return [...new Set(queues.filter((queue) => queue !== undefined && queue !== null))];
}

describe('Zoom report sync', () => {
  let fake: FakeZoomApi;
  let system: TestSystem;
  const webinarId = `7${Date.now() % 1_000_000_000}`;
  const meetingId = `6${Date.now() % 1_000_000_000}`;
  const tag = webinarId.slice(-6);
  let webinar: FakeSeries;
  let refusedMeeting: FakeSeries;
  const sessionIds: string[] = [];

  before(async () => {
    fake = await startFakeZoomApi({
      accountId: 'acct-1',
      clientId: 'client-1',
      clientSecret: 'secret-1',
      tokenTtlSeconds: 3,
      revokeTokensEvery: 25,
      expirePageTokenUses: [6],
      // Low enough that the worker's limiter (which starts at Zoom's 40/s) meets 429s of both kinds and slows down.
      rateLimit: { perSecond: 4, retryAfter: 'alternate', retryAfterSeconds: 1 },
      refuseReports: [meetingId],
    });
    webinar = generateSeries({
      kind: 'webinar',
      id: webinarId,
      attendeesPerInstance: 2_100,
      seed: 6,
      // Zoom instance UUIDs are base64 and may begin with / or hold //: those must be double-encoded.
      instances: [
        { uuid: `/w${tag}H5vQmuoKj4854875==`, startTime: pastMinute(20 * 60), minutes: 60 },
        { uuid: `kX${tag}//9qRbT+2wA7cZ1mA==`, startTime: pastMinute(12 * 60), minutes: 60 },
        { uuid: `Qm${tag}+5eN/aB3xY8uLpQ==`, startTime: pastMinute(4 * 60), minutes: 60 },
      ],
    });
    refusedMeeting = generateSeries({
      kind: 'meeting',
      id: meetingId,
      attendeesPerInstance: 40,
      seed: 9,
      instances: [{ uuid: `Rf${tag}aa//bb==`, startTime: pastMinute(3 * 60), minutes: 45 }],
    });
    fake.add(webinar);
    fake.add(refusedMeeting);
    system = await startSystem({
      ...PROVIDER_SETTINGS,
      ...fake.env(),
      LATE_EVENT_WINDOW: '10m',
      ZOOM_REPORT_SYNC_DELAY: '1s',
    });
    for (const instance of webinar.instances) {
      const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
        provider: 'zoom',
        room: webinarId,
        title: 'Webinar',
        scheduledStart: new Date(instance.startTime).toISOString(),
        scheduledEnd: new Date(instance.endTime).toISOString(),
      });
      assert.equal(registered.status, 201);
      sessionIds.push(registered.body.id);
    }
    // The sessions are long past: each reaches its hard stop at once and is calculated (empty) before any sync.
    for (const id of sessionIds) {
      const handle = system.client.workflow.getHandle(`session-${id}`);
      await eventually(
        async () => ((await handle.query(summaryQuery)).phase === 'calculated' ? true : undefined),
        20_000,
        `first calculation of ${id}`,
      );
    }
  });
  after(async () => {
    await system?.stop();
    await fake?.close();
  });

  it('syncs every attendee of every instance through token expiry, 429s, a page token expiry and double-encoded UUIDs', async () => {
    const { workflowId, result } = await syncAndWait(system, { webinarId, recurring: true });

    assert.equal(result.kind, 'webinar');
    assert.deepEqual(
      result.instances.map((i) => [i.uuid, i.status, i.source, i.rows]),
      webinar.instances.map((i) => [i.uuid, 'done', 'report', i.rows.length]),
    );
    // Every row is stored once, as a fact of its instance, whichever sync stored it: each session also schedules
    // its own sync after its first calculation, which may run beside this one.
    const inMeeting = webinar.instances.reduce((sum, instance) => sum + inMeetingRows(instance), 0);
    const logged = await eventually(
      async () => {
        const { rows } = await system.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM room_facts WHERE provider = 'zoom' AND room = $1 AND kind = 'report-row'",
          [webinarId],
        );
        return Number(rows[0]?.n) >= inMeeting ? Number(rows[0]?.n) : undefined;
      },
      30_000,
      'every report row stored',
    );
    assert.equal(logged, inMeeting);
    // The page token may expire under this sync or under a session's own sync running beside it: one of them restarted.
    assert.equal(fake.stats.pageTokensExpired, 1);
    const restarts = await eventually(
      async () => {
        let total = 0;
        for await (const execution of system.client.workflow.list({
          query: `WorkflowId STARTS_WITH 'zoom-report-sync-${webinarId}-' AND ExecutionStatus = 'Completed'`,
        })) {
          const synced = (await system.client.workflow
            .getHandle(execution.workflowId, execution.runId)
            .result()) as ReportSyncResult;
          total += synced.instances.reduce((sum, i) => sum + i.restarts, 0);
        }
        return total > 0 ? total : undefined;
      },
      20_000,
      'the sync that met the expired page token',
    );
    assert.equal(restarts, 1, 'the expired page token restarted its instance');
    // Each fault really happened, and the sync got through it.
    assert.ok(
      fake.stats.unauthorized > 0 && fake.stats.tokensIssued > 1,
      `token refreshed on 401: ${JSON.stringify(fake.stats)}`,
    );
    assert.ok(fake.stats.rateLimitedWithRetryAfter > 0, 'a 429 with Retry-After');
    assert.ok(fake.stats.rateLimitedWithoutRetryAfter > 0, 'a 429 without Retry-After');
    assert.equal(fake.stats.pageTokensExpired, 1);
    assert.equal(fake.stats.badlyEncoded, 0);

    // The fake answers a UUID with a leading / or a // only when it arrives double-encoded.
    assert.deepEqual(
      webinar.instances.map((instance) => fake.stats.participantTargets.has(instance.uuid)),
      [true, true, true],
    );
    for (const [i, instance] of webinar.instances.entries()) {
      const truth = expected(instance, instance.startTime, instance.endTime);
      assert.ok(truth.size >= 2_000 && [...truth.values()].some((p) => p.cycles > 2), 'many people, many with rejoins');
      await attendanceBecomes(system, sessionIds[i]!, truth);
      const logged = await system.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM session_facts($1) WHERE source = 'report' AND instance_id = $2",
        [sessionIds[i], instance.uuid],
      );
      assert.equal(
        Number(logged.rows[0]!.n),
        inMeetingRows(instance),
        "each in-meeting row is a fact of the session's instance exactly once",
      );
    }
    // The sync and its activities ran on the report sync task queue, apart from the session workflows.
    const { taskQueue, reportSyncTaskQueue } = system.config.temporal;
    assert.notEqual(reportSyncTaskQueue, taskQueue);
    assert.deepEqual(await taskQueuesOf(system, workflowId), [reportSyncTaskQueue]);
    await replayAndKeep(system, workflowId, 'zoom-report-sync');
  });

  it('changes nothing when synced a second time', async () => {
    const before = await settled(system, sessionIds);
    const { result } = await syncAndWait(system, { webinarId, recurring: true });
    assert.equal(result.totals.delivered, 0, 'every row is already stored: no new fact');
    assert.ok(result.totals.rows > 6_000);
    assert.equal(await unrelayedCount(system.pool), 0, 'nothing for the relay to bring to a session');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // time for any (wrong) recalculation to happen
    assert.deepEqual(await snapshot(system, sessionIds), before);
  });

  it('does not read an instance again when a retried page activity finds its last page already stored', async () => {
    // An attempt that stored its last page but timed out before answering (a starved worker) is retried with its
    // heartbeated cursor: past the last page, which must not mean "page 1 again".
    const activities = createActivities({
      config: system.config,
      pool: system.pool,
      logger: createLogger('test', 'warn'),
      temporal: system.client,
    });
    const [instance] = webinar.instances;
    const cursor = { pages: 12, rows: instance!.rows.length, delivered: 0 };
    const environment = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: cursor });
    const request: PagesRequest = {
      kind: 'webinar',
      meetingId: webinarId,
      uuid: instance!.uuid,
      source: 'report',
      maxPages: 20,
    };
    const outcome = await environment.run((pages: PagesRequest) => activities.syncZoomReportPages(pages), request);
    assert.deepEqual(outcome, { status: 'done', ...cursor });
  });

  it('goes on from where a page activity stopped, not from page 1', async () => {
    const activities = createActivities({
      config: system.config,
      pool: system.pool,
      logger: createLogger('test', 'warn'),
      temporal: system.client,
    });
    const instance = webinar.instances[2]!;
    const run = (request: PagesRequest): Promise<PagesOutcome> =>
      new MockActivityEnvironment().run((pages: PagesRequest) => activities.syncZoomReportPages(pages), request);
    const request: PagesRequest = {
      kind: 'webinar',
      meetingId: webinarId,
      uuid: instance.uuid,
      source: 'report',
      maxPages: 3,
    };
    const first = await run(request);
    assert.equal(first.status, 'more');
    assert.equal(first.pages, 3);
    assert.ok(first.nextPageToken, 'the outcome says where the next activity starts');
    const rest = await run({ ...request, pageToken: first.nextPageToken, maxPages: 1_000 });
    assert.equal(rest.status, 'done');
    assert.equal(first.rows + rest.rows, instance.rows.length, 'every row read once over the two activities');
    assert.equal(first.delivered + rest.delivered, 0, 'all stored already');
  });

  it('gives per-session and per-webinar analytics that agree with the ground truth', async () => {
    for (const [i, instance] of webinar.instances.entries()) {
      const truth = [...groundTruth(instance, instance.startTime, instance.endTime).values()];
      const attended = truth.filter((p) => p.seconds > 0);
      const registrants = new Set(truth.map((p) => p.registrantId).filter(Boolean));
      const registeredAttendees = new Set(attended.map((p) => p.registrantId).filter(Boolean));
      const { status, body } = await request<Record<string, number | string | null>>(
        system,
        'GET',
        `/api/sessions/${sessionIds[i]}/analytics`,
      );
      assert.equal(status, 200);
      assert.equal(body.registrants, registrants.size);
      assert.equal(body.registeredAttendees, registeredAttendees.size);
      assert.equal(body.attendees, attended.length);
      assert.equal(body.people, attended.length, 'people only outside the window are not reported');
      assert.equal(body.multiConnectionPeople, attended.filter((p) => p.connections > 1).length);
      assert.equal(body.attendanceRate, Math.round((10_000 * registeredAttendees.size) / registrants.size) / 100);
      const meanMinutes =
        attended.reduce((sum, p) => sum + Math.round((p.seconds / 60) * 100) / 100, 0) / attended.length;
      assert.ok(
        Math.abs((body.averageMinutes as number) - meanMinutes) <= 0.006,
        `${body.averageMinutes} vs ${meanMinutes}`,
      );
    }
    const series = await request<{ sessions: number; attendees: number; attendances: number; perSession: unknown[] }>(
      system,
      'GET',
      `/api/zoom/meetings/${webinarId}/analytics`,
    );
    assert.equal(series.status, 200);
    assert.equal(series.body.sessions, 3);
    assert.equal(series.body.perSession.length, 3);
    // Registered and signed-in people keep one identity across instances; anonymous guests are new each time.
    const people = new Set<string>();
    let attendances = 0;
    for (const instance of webinar.instances) {
      for (const [name, truth] of groundTruth(instance, instance.startTime, instance.endTime)) {
        if (truth.seconds === 0) continue;
        attendances += 1;
        const anonymous = instance.rows.find((row) => row.name === name)!.user_email === '';
        people.add(anonymous ? `${instance.uuid}:${name}` : name);
      }
    }
    assert.equal(series.body.attendances, attendances);
    assert.equal(series.body.attendees, people.size);
    assert.equal((await request(system, 'GET', '/api/sessions/no-such-session/analytics')).status, 404);
  });

  it('falls back to past_meetings when the report endpoint refuses, into an ad-hoc session', async () => {
    const [instance] = refusedMeeting.instances;
    const refusedBefore = fake.stats.refused;
    const { result } = await syncAndWait(system, { meetingId, instanceUuid: instance!.uuid });
    assert.deepEqual(
      result.instances.map((i) => [i.status, i.source, i.rows]),
      [['done', 'past', instance!.rows.length]],
    );
    assert.ok(fake.stats.refused > refusedBefore && fake.stats.pages.past > 0);
    // No session is registered for this meeting: the rows went to the instance's ad-hoc session.
    const adHoc = `zoom-${Buffer.from(instance!.uuid).toString('base64url')}`;
    await eventually(
      async () => ((await request(system, 'GET', `/api/sessions/${adHoc}`)).status === 200 ? true : undefined),
      10_000,
      'the ad-hoc session',
    );
    const recalculated = await request(system, 'POST', `/api/sessions/${adHoc}/recalculate`);
    assert.equal(recalculated.status, 200, JSON.stringify(recalculated.body));
    // An ad-hoc window is the actual meeting: here, from the first join to the last leave.
    await attendanceBecomes(system, adHoc, expected(instance!, -Infinity, Infinity));
  });

  it('counts a connection seen by webhook and by report once, and adds the rejoin webhooks missed', async () => {
    const room = `5${Date.now() % 1_000_000_000}`;
    const uuid = `Mg${tag}Merge==`;
    const S = pastMinute(150);
    const at = (minutes: number) => S + minutes * MIN;
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'zoom',
      room,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(40)).toISOString(),
      roster: [{ userId: 'u-ann', email: 'ann@merge.example', name: 'Ann' }],
    });
    assert.equal(registered.status, 201);
    const zoom = new WebhookSender(system, 'zoom');
    const ann = { meetingId: room, uuid, userId: '300', userName: 'Ann', email: 'ann@merge.example' };
    // Bob's client sends no participant_uuid: his webhook connection is his user_id, as in the report.
    const bob = { meetingId: room, uuid, userId: '400', userName: 'Bob', participantUuid: null };
    await zoom.accept(zoomParticipantJoined({ ...ann, joinTime: at(0) }));
    await zoom.accept(zoomParticipantLeft({ ...ann, leaveTime: at(20) }));
    await zoom.accept(zoomParticipantJoined({ ...bob, joinTime: at(5) }));
    await zoom.accept(zoomParticipantLeft({ ...bob, leaveTime: at(30) }));
    const row = (user_id: string, name: string, user_email: string, from: number, to: number) =>
      ({
        person: name,
        id: '',
        user_id,
        participant_user_id: '',
        registrant_id: '',
        name,
        user_email,
        join_time: at(from),
        leave_time: at(to),
        status: 'in_meeting',
      }) as const;
    fake.add({
      kind: 'meeting',
      id: room,
      instances: [
        {
          uuid,
          startTime: S,
          endTime: at(40),
          rows: [
            row('300', 'Ann', 'ann@merge.example', 0, 20),
            row('301', 'Ann', 'ann@merge.example', 25, 40),
            row('400', 'Bob', '', 5, 30),
          ],
        },
      ],
    });
    const { result } = await syncAndWait(system, { meetingId: room });
    assert.equal(result.totals.rows, 3);
    const { rows: people } = await eventually(
      async () => {
        const found = await system.pool.query<{ person_key: string; attended_seconds: number; cycle_count: number }>(
          'SELECT person_key, attended_seconds, cycle_count FROM session_reports WHERE session_id = $1 ORDER BY person_key',
          [registered.body.id],
        );
        return found.rows.some((p) => p.attended_seconds === 35 * 60) ? found : undefined;
      },
      20_000,
      'the report rows in the attendance',
    );
    assert.deepEqual(
      people.map((p) => [p.person_key, p.attended_seconds]),
      [
        ['guest:400', 25 * 60], // webhook 5-30 and report 5-30: one connection, counted once
        ['user:u-ann', 35 * 60], // 0-20 from both sources (two connections, one interval) and 25-40 from the report only
      ],
    );
    assert.equal(people[0]!.cycle_count, 1, "Bob's report row is his webhook cycle");
  });

  it('is started for a session after its final calculation, finding out on its own that the room is a webinar', async () => {
    const activities = createActivities({
      config: system.config,
      pool: system.pool,
      logger: createLogger('test', 'warn'),
      temporal: system.client,
    });
    const scheduled = await activities.scheduleReportSync(sessionIds[1]!);
    assert.ok(scheduled.workflowId, JSON.stringify(scheduled));
    const result = (await system.client.workflow.getHandle(scheduled.workflowId).result()) as ReportSyncResult;
    assert.equal(result.kind, 'webinar');
    assert.deepEqual(
      result.instances.map((i) => [i.uuid, i.status, i.delivered]),
      [[webinar.instances[1]!.uuid, 'done', 0]],
    );
    const withoutZoom = createActivities({
      config: { ...system.config, zoom: { ...system.config.zoom, clientSecret: undefined } },
      pool: system.pool,
      logger: createLogger('test', 'warn'),
      temporal: system.client,
    });
    assert.deepEqual(await withoutZoom.scheduleReportSync(sessionIds[1]!), {
      skipped: 'Zoom API credentials are not set',
    });
  });

  it('has a daily Schedule, created idempotently, that syncs the sessions which ended in the last day', async () => {
    assert.equal(await ensureReportSyncSchedule(system.client, system.config), true);
    assert.equal(await ensureReportSyncSchedule(system.client, system.config), true); // a second worker start-up
    const schedule = system.client.schedule.getHandle(DAILY_SCHEDULE_ID);
    try {
      const described = await schedule.describe();
      assert.equal(described.action.type, 'startWorkflow');
      assert.equal(described.action.taskQueue, system.config.temporal.reportSyncTaskQueue);
      await schedule.trigger();
      const run = await eventually(async () => {
        const { info } = await schedule.describe();
        return info.recentActions.at(-1)?.action.workflow;
      });
      const { started } = (await system.client.workflow
        .getHandle(run.workflowId, run.firstExecutionRunId)
        .result()) as { started: string[] };
      for (const id of sessionIds) {
        const { rows } = await system.pool.query<{ scheduled_start: Date; scheduled_end: Date }>(
          'SELECT scheduled_start, scheduled_end FROM sessions WHERE id = $1',
          [id],
        );
        const { earlyJoinMs, maxOverrunMs } = system.config.timings;
        assert.ok(
          started.includes(
            `zoom-report-sync-${webinarId}-${rows[0]!.scheduled_start.getTime() - earlyJoinMs}-${rows[0]!.scheduled_end.getTime() + maxOverrunMs}`,
          ),
          JSON.stringify(started),
        );
      }
    } finally {
      await schedule.delete();
    }
  });

  it('answers 400 to a malformed request and 503 without Zoom credentials', async () => {
    assert.equal(
      (await request(system, 'POST', '/api/zoom/report-sync', { meetingId: '1', webinarId: '2' })).status,
      400,
    );
    assert.equal(
      (await request(system, 'POST', '/api/zoom/report-sync', { meetingId: '1', recurring: true, instanceUuid: 'x' }))
        .status,
      400,
    );
    const config = { ...system.config, zoom: { ...system.config.zoom, accountId: undefined } };
    const api = await listen(
      { config, pool: system.pool, temporal: system.client, logger: createLogger('test', 'warn') },
      0,
      '127.0.0.1',
    );
    try {
      const res = await fetch(`${api.url}/api/zoom/report-sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ meetingId: '1' }),
      });
      assert.equal(res.status, 503);
    } finally {
      await api.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { listen, type RunningApi } from '../../src/api/server.js';
import { freePort } from '../../src/infra/ports.js';
import { createLogger } from '../../src/logger.js';
import { serveWorkerMetrics, type MetricsServer } from '../../src/worker/metrics.js';
import { installRuntime } from '../../src/worker/runtime.js';
import { MIN, PROVIDER_SETTINGS, WebhookSender, pastMinute, waitForCalculations } from '../support/scenario.js';
import {
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
  zoomRequest,
} from '../support/sign.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

/** The sum of `name`'s samples whose labels include `labels`; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const present = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m): [string, string | undefined] => [
        m[1]!,
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

/**
 * The documented metrics after a real session: signed webhooks of every outcome into an API of its own (so its
 * registry counts exactly these), a calculation in the worker, and the Temporal SDK's own exporter.
 */
describe('Prometheus metrics', () => {
  let system: TestSystem;
  let api: RunningApi;
  let workerMetrics: MetricsServer;
  let sdkMetricsUrl: string;
  let sessionId: string;
  const logs: Array<Record<string, unknown>> = [];
  const S = pastMinute(30);
  const meetingId = `8${Date.now() % 1_000_000_000}`;
  const meeting = { meetingId, uuid: `uuid-${meetingId}==` };
  const student = { ...meeting, userId: 'm1', userName: 'Student 1', email: 's1@school.example' };

  before(async () => {
    const sdkPort = await freePort();
    sdkMetricsUrl = `http://127.0.0.1:${sdkPort}/metrics`;
    // Installed before startSystem connects its worker, which would install the runtime without an exporter.
    installRuntime(createLogger('test', 'warn'), sdkPort);
    system = await startSystem(PROVIDER_SETTINGS);
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    api = await listen({ config: system.config, pool: system.pool, temporal: system.client, logger }, 0, '127.0.0.1');
    workerMetrics = await serveWorkerMetrics(0, '127.0.0.1');
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'zoom',
      room: meetingId,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(S + 20 * MIN).toISOString(),
    });
    assert.equal(registered.status, 201);
    sessionId = registered.body.id;
  });
  after(async () => {
    await workerMetrics?.close();
    await api?.close();
    await system?.stop();
  });

  it('counts webhooks by provider and outcome, times the relay’s signals, and logs each with its facts', async () => {
    const zoom = new WebhookSender({ ...system, api }, 'zoom');
    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: S }));
    await zoom.accept(zoomParticipantJoined({ ...student, joinTime: S }));
    await zoom.accept(zoomParticipantLeft({ ...student, leaveTime: S + 15 * MIN }));
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: S + 20 * MIN }));
    assert.equal((await zoom.send({ event: 'endpoint.url_validation', payload: { plainToken: 'token' } })).status, 200);
    const ignored = await zoom.send({
      event: 'meeting.sharing_started',
      event_ts: Date.now(),
      payload: { account_id: 'a', object: { id: meetingId } },
    });
    assert.deepEqual([ignored.status, ignored.body.status], [200, 'ignored']);
    assert.equal(
      (await zoom.send({ event: 'meeting.participant_joined', event_ts: Date.now(), payload: {} })).status,
      400,
    );
    const forged = zoomRequest(zoomParticipantJoined({ ...student, joinTime: S }), 'not-the-secret');
    assert.equal(
      (await fetch(`${api.url}/webhooks/zoom`, { method: 'POST', body: forged.body, headers: { ...forged.headers } }))
        .status,
      401,
    );
    assert.equal((await fetch(`${api.url}/webhooks/livekit`, { method: 'POST', body: '{}' })).status, 401);

    const text = await scrape(`${api.url}/metrics`);
    const webhooks = (provider: string, outcome: string) =>
      sample(text, 'rollcall_webhooks_total', { provider, outcome });
    assert.deepEqual(
      [
        webhooks('zoom', 'accepted'),
        webhooks('zoom', 'url_validation'),
        webhooks('zoom', 'ignored'),
        webhooks('zoom', 'invalid'),
        webhooks('zoom', 'unauthorized'),
        webhooks('livekit', 'unauthorized'),
      ],
      [4, 1, 1, 1, 1, 1],
    );
    assert.equal(sample(text, 'rollcall_webhooks_total'), 9);
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 0);
    assert.ok(sample(text, 'nodejs_heap_size_used_bytes')! > 0);
    // Registries are per app: the system's own API saw none of these webhooks.
    const systemText = await scrape(`${system.api.url}/metrics`);
    assert.equal(sample(systemText, 'rollcall_webhooks_total'), undefined);

    // Signals are no longer sent per webhook but by the relay, a batch per session and round, each timed. Both
    // APIs run a relay on this database and share the facts, so together they timed every signal the session got.
    await relayed(system);
    const [ours, theirs] = await Promise.all([scrape(`${api.url}/metrics`), scrape(`${system.api.url}/metrics`)]);
    const both = (name: string, labels: Record<string, string>) =>
      (sample(ours, name, labels) ?? 0) + (sample(theirs, name, labels) ?? 0);
    const timed = both('rollcall_signal_latency_seconds_count', { outcome: 'ok' });
    assert.ok(timed >= 1 && timed <= 4, `${timed} signals for 4 webhooks`);
    // Signals that came in during a workflow task enter the history when that task completes: wait for them.
    const handle = system.client.workflow.getHandle(`session-${sessionId}`);
    const signalsInHistory = async () =>
      ((await handle.fetchHistory()).events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes)
        .length;
    const signals = await eventually(
      async () => ((await signalsInHistory()) >= timed ? signalsInHistory() : undefined),
      10_000,
      'the signals in the history',
    );
    assert.equal(timed, signals);
    assert.equal(both('rollcall_signal_latency_seconds_bucket', { outcome: 'ok', le: '+Inf' }), signals);
    assert.equal(both('rollcall_signal_latency_seconds_count', { outcome: 'error' }), 0);
    assert.ok(both('rollcall_signal_latency_seconds_sum', { outcome: 'ok' }) > 0);

    const accepted = logs.filter((line) => line.msg === 'webhook' && line.outcome === 'accepted');
    assert.equal(accepted.length, 4);
    assert.deepEqual(
      { ...accepted[0], time: undefined, ms: undefined, pid: undefined, hostname: undefined },
      // The answer no longer names a session (the relay routes the facts later): it says how many facts were new.
      {
        level: 30,
        time: undefined,
        ms: undefined,
        pid: undefined,
        hostname: undefined,
        msg: 'webhook',
        provider: 'zoom',
        outcome: 'accepted',
        status: 200,
        events: 1,
        stored: 1,
      },
    );
    assert.deepEqual(
      logs.filter((line) => line.msg === 'webhook refused').map((line) => [line.provider, line.outcome, line.status]),
      [
        ['zoom', 'invalid', 400],
        ['zoom', 'unauthorized', 401],
        ['livekit', 'unauthorized', 401],
      ],
    );
  });

  it('times calculations in the worker, by trigger', async () => {
    await waitForCalculations(system, sessionId, 1);
    let text = await scrape(workerMetrics.url);
    assert.ok(sample(text, 'rollcall_calculation_duration_seconds_count', { trigger: 'auto' })! >= 1);
    assert.ok(sample(text, 'rollcall_calculation_duration_seconds_sum', { trigger: 'auto' })! > 0);
    assert.equal(sample(text, 'rollcall_calculation_duration_seconds_count', { trigger: 'manual' }), undefined);
    assert.ok(sample(text, 'process_cpu_user_seconds_total')! > 0);

    assert.equal((await request(system, 'POST', `/api/sessions/${sessionId}/recalculate`)).status, 200);
    text = await scrape(workerMetrics.url);
    assert.equal(sample(text, 'rollcall_calculation_duration_seconds_count', { trigger: 'manual' }), 1);
  });

  it("exports the Temporal SDK's worker metrics on their own port", async () => {
    const text = await scrape(sdkMetricsUrl);
    const taskQueue = system.config.temporal.taskQueue;
    assert.ok(
      sample(text, 'temporal_workflow_task_execution_latency_count', { task_queue: taskQueue })! > 0,
      'no workflow tasks counted',
    );
    assert.ok(
      sample(text, 'temporal_activity_execution_latency_count', {
        task_queue: taskQueue,
        activity_type: 'calculateAttendance',
      })! >= 2,
      'no calculations counted',
    );
  });
});

/**
 * `npm run test:cluster`: cluster mode (src/cluster/main.ts, what `npm run cluster` runs) started as a real
 * process — temporal-server on PostgreSQL, the UI server, 2 workers and 2 API processes behind one address —
 * then driven only from outside, through its HTTP API, as the providers and an operator would:
 *   - a Zoom and a LiveKit class delivered at once by signed webhooks, while a worker and then an API process
 *     are SIGKILLed mid-class (the supervisor restarts them); every webhook ends with a 2xx and the persisted
 *     attendance of both sessions equals, row for row, what the engine computes from the webhooks;
 *   - both sessions found in the Temporal UI server's HTTP API by every search attribute;
 *   - `rollcall replay` of a session from the cluster is clean;
 *   - Ctrl-C (SIGTERM) stops every process the cluster started.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from '../../src/db/pool.js';
import { freePort } from '../../src/infra/ports.js';
import { engineAttendance, persistedAttendance, type Attendance } from '../support/attendance.js';
import { alive, ClusterStack } from '../support/kit/cluster-stack.js';
import { PROJECT_ROOT } from '../support/kit/proc.js';
import { PROVIDER_SETTINGS, pastMinute } from '../support/scenario.js';
import { expectedAttendance, generateClass, registration, type ClassScenario } from '../faults/support/classes.js';
import { ProviderSender, type Outcome } from '../faults/support/sender.js';

const PEOPLE = 120;
const SETTLE_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const note = (line: string) => process.stderr.write(`[cluster-test] ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface ClassRun {
  scenario: ClassScenario;
  sessionId: string;
  expected: Attendance;
}

function allPayloads(scenario: ClassScenario): object[] {
  return [...scenario.webhooks.map((webhook) => webhook.payload), scenario.end.payload];
}

function assertDelivered(outcomes: readonly Outcome[], what: string): void {
  const failed = outcomes.filter(
    (outcome) => typeof outcome.status !== 'number' || outcome.status < 200 || outcome.status >= 300,
  );
  assert.equal(
    failed.length,
    0,
    `${what}: ${failed.length} of ${outcomes.length} webhooks never got a 2xx, e.g. ${JSON.stringify(failed.slice(0, 3))}`,
  );
}

async function api<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const text = await res.text();
  return {
    status: res.status,
    body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T,
  };
}

/** Until the persisted attendance equals the engine's (it may be recalculated on the way); asserts with the difference on timeout. */
async function settle(pool: Pool, run: ClassRun): Promise<number> {
  const started = Date.now();
  let last: Attendance | undefined;
  while (Date.now() - started < SETTLE_MS) {
    last = await persistedAttendance(pool, run.sessionId);
    if (JSON.stringify(last) === JSON.stringify(run.expected)) return Date.now() - started;
    await sleep(1_000);
  }
  assert.deepEqual(last, run.expected, `persisted attendance of ${run.sessionId} equals the engine's`);
  return Date.now() - started;
}

/** Executions the UI server's HTTP API (what the Web UI's list view calls) finds for a visibility query. */
async function uiSearch(
  uiUrl: string,
  namespace: string,
  query: string,
): Promise<Array<{ execution?: { workflowId?: string } }>> {
  const res = await fetch(
    `${uiUrl}/api/v1/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`,
  );
  assert.equal(res.status, 200, `UI server answered ${res.status} to ${query}: ${await res.clone().text()}`);
  const body = (await res.json()) as { executions?: Array<{ execution?: { workflowId?: string } }> };
  return body.executions ?? [];
}

describe('cluster mode: temporal-server on PostgreSQL, 2 workers, 2 API processes behind one address', () => {
  let cluster: ClusterStack | undefined;
  let pool: Pool | undefined;
  const runs: ClassRun[] = [];

  before(async () => {
    const started = await ClusterStack.start({
      env: {
        PORT: '0',
        TEMPORAL_UI_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        CALCULATION_DELAY: '3s',
        LATE_EVENT_WINDOW: '10m',
        SESSION_MAX_OVERRUN: '3h',
        ...PROVIDER_SETTINGS,
      },
    });
    cluster = started.cluster;
    note(
      `cluster ready in ${seconds(started.readyMs)}: ${JSON.stringify(cluster.state.processes.map((process) => `${process.name}:${process.pid}`))}`,
    );
    pool = createPool(cluster.state.databaseUrl, 4);
  });

  after(async () => {
    await pool?.end().catch(() => undefined);
    if (cluster) {
      const pids = cluster.state.processes
        .map((process) => process.pid)
        .filter((pid): pid is number => pid !== undefined);
      await cluster.stop();
      // Whatever it started must be gone with it (the test fails below otherwise, but never leaves them running).
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      cluster.remove();
      if (process.env.ROLLCALL_KEEP_CLUSTER === '1') note(`kept ${cluster.dataDir} (logs in cluster/logs)`);
    }
  });

  it('runs the production topology: 2 workers and 2 API processes, one API address', () => {
    const state = cluster!.state;
    const names = state.processes.map((process) => process.name).sort();
    assert.deepEqual(names, ['api-1', 'api-2', 'temporal-server', 'temporal-ui', 'worker-1', 'worker-2']);
    for (const process of state.processes) assert.ok(process.pid && alive(process.pid), `${process.name} runs`);
    assert.match(state.databaseUrl, /^postgres:\/\/rollcall:/, 'Rollcall connects as its own role');
  });

  it(
    `Zoom and LiveKit classes (${PEOPLE} people each) exact while a worker and an API process are SIGKILLed mid-class`,
    { timeout: 900_000 },
    async () => {
      const c = cluster!;
      const apiUrl = c.state.apiUrl;
      const start = pastMinute(90);
      const stamp = `${Date.now().toString(36)}`;
      for (const [provider, seed] of [
        ['zoom', 17_001],
        ['livekit', 17_002],
      ] as const) {
        const room = provider === 'zoom' ? `9${Date.now() % 1e9}` : `cluster-room-${stamp}`;
        const scenario = generateClass({ provider, people: PEOPLE, seed, room, start });
        const sessionId = `cluster-${provider}-${stamp}`;
        const registered = await api<unknown>(`${apiUrl}/api/sessions`, {
          method: 'POST',
          body: JSON.stringify(registration(scenario, sessionId)),
        });
        assert.equal(registered.status, 201, `registering ${sessionId}: ${JSON.stringify(registered.body)}`);
        runs.push({
          scenario,
          sessionId,
          expected: engineAttendance(expectedAttendance(scenario, allPayloads(scenario))),
        });
      }

      const downs: string[] = [];
      const started = Date.now();
      const senders = runs.map(
        (run) => new ProviderSender({ provider: run.scenario.options.provider, url: apiUrl, concurrency: 6 }),
      );
      const delivered = await Promise.all(
        runs.map((run, i) => {
          const payloads = run.scenario.webhooks.map((webhook) => webhook.payload);
          // The kills ride on the Zoom class's progress; the LiveKit class is in flight meanwhile.
          const triggers =
            i === 0
              ? [
                  {
                    after: Math.floor(payloads.length * 0.25),
                    run: async () =>
                      void downs.push(`worker-1 down ${seconds(await c.killAndAwaitRestart('worker-1'))}`),
                  },
                  {
                    after: Math.floor(payloads.length * 0.5),
                    run: async () => void downs.push(`api-1 down ${seconds(await c.killAndAwaitRestart('api-1'))}`),
                  },
                ]
              : [];
          return senders[i]!.deliverAll(payloads, triggers);
        }),
      );
      delivered.forEach((outcomes, i) => assertDelivered(outcomes, `${runs[i]!.sessionId}: participant webhooks`));
      const ends = await Promise.all(runs.map((run, i) => senders[i]!.deliverAll([run.scenario.end.payload])));
      ends.forEach((outcomes, i) => assertDelivered(outcomes, `${runs[i]!.sessionId}: meeting end`));
      const endAccepted = Date.now();
      assert.equal(downs.length, 2, 'both kills happened during delivery');

      for (const [i, run] of runs.entries()) {
        const settleMs = await settle(pool!, run);
        const summary = senders[i]!.summary();
        note(
          `${run.scenario.options.provider}: ${run.scenario.webhooks.length + 1} webhooks exact ${seconds(endAccepted - started)} delivery + ${seconds(Date.now() - endAccepted)} after the end (settle ${seconds(settleMs)}); answers ${JSON.stringify(summary.byStatus)}, p50 ${summary.p50} ms, p99 ${summary.p99} ms, ${summary.retried} retried`,
        );
        // The API serves the same result: per person, attended time, status, lateness and cycles.
        const served = await api<{
          people: Array<{
            personKey: string;
            attendedSeconds: number;
            status: string;
            late: boolean;
            lateMinutes: number;
            cycles: unknown[];
          }>;
        }>(`${apiUrl}/api/sessions/${run.sessionId}/attendance`);
        assert.equal(served.status, 200);
        const byKey = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
        assert.deepEqual(
          served.body.people
            .map((p) => [p.personKey, p.attendedSeconds, p.status, p.late, p.lateMinutes, p.cycles.length])
            .sort(byKey),
          run.expected.reports.map((r) => [r[0], r[1], r[3], r[4], r[5], r[6]]).sort(byKey),
          `GET /api/sessions/${run.sessionId}/attendance serves the exact attendance`,
        );
      }
      note(`kills: ${downs.join('; ')}`);
      for (const name of ['worker-1', 'api-1'])
        assert.equal(c.processNamed(name).starts, 2, `${name} was restarted once`);
    },
  );

  it('finds the sessions in the Temporal UI server by every search attribute', { timeout: 120_000 }, async () => {
    assert.equal(runs.length, 2, 'the classes ran');
    const { uiUrl, namespace } = cluster!.state;
    for (const run of runs) {
      const query = `SessionId = "${run.sessionId}" AND Provider = "${run.scenario.options.provider}" AND Room = "${run.scenario.options.room}" AND SessionStatus = "calculated" AND ParticipantCount > 0`;
      const deadline = Date.now() + 60_000;
      let found: Array<{ execution?: { workflowId?: string } }> = [];
      while (Date.now() < deadline) {
        found = await uiSearch(uiUrl, namespace, query);
        if (found.length > 0) break;
        await sleep(1_000);
      }
      assert.ok(found.length > 0, `no execution matches ${query}`);
      assert.ok(
        found.every((execution) => execution.execution?.workflowId === `session-${run.sessionId}`),
        `only ${run.sessionId}'s workflow matches: ${JSON.stringify(found.map((execution) => execution.execution?.workflowId))}`,
      );
    }
    assert.deepEqual(await uiSearch(uiUrl, namespace, `SessionId = "no-such-session"`), [], 'the query filters');
  });

  it('replays a session from the cluster cleanly (rollcall replay)', { timeout: 300_000 }, () => {
    assert.equal(runs.length, 2, 'the classes ran');
    const state = cluster!.state;
    // The cluster encrypts workflow payloads with a key it made (PAYLOAD_ENCRYPTION_KEY unset): the CLI needs it.
    assert.ok(state.payloadKeyFile, 'the cluster made a payload key');
    const payloadKey = readFileSync(state.payloadKeyFile, 'utf8').trim();
    const replay = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'replay', runs[0]!.sessionId], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: state.temporalAddress,
        TEMPORAL_NAMESPACE: state.namespace,
        DATABASE_URL: state.databaseUrl,
        PAYLOAD_ENCRYPTION_KEY: payloadKey,
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 280_000,
    });
    const output = `${replay.stdout}${replay.stderr}`;
    assert.equal(replay.status, 0, `rollcall replay failed:\n${output.slice(-3_000)}\n${cluster!.diagnostics()}`);
    assert.match(output, /^OK\s/m, 'at least one run replayed');
    assert.doesNotMatch(output, /FAILED/);
  });

  it('stops every process it started on SIGTERM', { timeout: 120_000 }, async () => {
    const c = cluster!;
    const pids = c.state.processes.map((process) => process.pid).filter((pid): pid is number => pid !== undefined);
    const code = await c.stop();
    assert.equal(code, 0, `the cluster exited with ${code}:\n${c.text.slice(-2_000)}`);
    await sleep(500);
    assert.deepEqual(pids.filter(alive), [], 'no process of the cluster is left');
    assert.ok(!existsSync(join(c.dataDir, 'cluster', 'postgres', 'postmaster.pid')), 'PostgreSQL stopped');
  });
});

/**
 * The session workflow on its own: a Temporal dev server from @temporalio/testing (on the same CLI binary as
 * everything else), the real workflow bundle, and stub activities that record what the loop asked for. Each
 * case drives one part of a session's life with second-scale timings.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { emptyState, type AttendanceEvent } from '../../src/domain/index.js';
import { findTemporalCli } from '../../src/infra/temporal-cli.js';
import { factsSignal, recalculateUpdate, summaryQuery } from '../../src/workflows/messages.js';
import {
  ParticipantCountAttr,
  ProviderAttr,
  RoomAttr,
  SessionIdAttr,
  SessionStatusAttr,
} from '../../src/workflows/search-attributes.js';
import type { SessionWorkflowInput } from '../../src/workflows/session.js';
import type { sessionWorkflow } from '../../src/workflows/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stub activities: what the workflow asked for, in order, and switches a test flips. */
class Stubs {
  readonly calls: string[] = [];
  calculationMs = 0;
  pushDown = false;
  pushAttempts = 0;
  pushed: number[] = [];

  activities(): Partial<Activities> {
    const stubs: Partial<Activities> = {
      saveSession: () => this.note('saveSession', { finalized: false, calculationSeq: 0 }),
      loadSessionState: () => this.note('loadSessionState', emptyState()),
      storeSessionFact: (_session, event) => this.note(`storeSessionFact:${event.kind}`, undefined),
      recordPhase: (_id, phase) => this.note(`recordPhase:${phase}`, undefined),
      calculateAttendance: async (_id, seq, auto) => {
        this.calls.push(`calculate:${seq}:${auto ? 'auto' : 'manual'}`);
        await sleep(this.calculationMs);
        return {
          saved: true,
          counts: { people: 0, present: 0, late: 0, partial: 0, absent: 0, guests: 0 },
          people: 0,
          events: 0,
          durationMs: this.calculationMs,
        };
      },
      scheduleReportSync: () => this.note('scheduleReportSync', {}),
      pushReport: (_id, version) => {
        this.pushAttempts += 1;
        if (this.pushDown) return Promise.reject(new Error('receiver down'));
        this.pushed.push(version);
        return Promise.resolve('sent' as const);
      },
    };
    return stubs;
  }

  private note<T>(call: string, value: T): Promise<T> {
    this.calls.push(call);
    return Promise.resolve(value);
  }
}

describe('the session workflow with stub activities', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    const cli = findTemporalCli();
    if (!cli) throw new Error('no Temporal CLI: run `npm run temporal:install`');
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli.path },
        searchAttributes: [SessionIdAttr, ProviderAttr, RoomAttr, SessionStatusAttr, ParticipantCountAttr],
        ip: '127.0.0.1',
      },
    });
  });
  after(() => env?.teardown());

  const timings = {
    calculationDelayMs: 500,
    lateEventWindowMs: 2_000,
    reconcileIntervalMs: 60_000,
    maxOverrunMs: 1_000,
  };
  function input(overrides: Partial<SessionWorkflowInput> = {}): SessionWorkflowInput {
    const now = Date.now();
    return {
      session: {
        id: randomUUID(),
        provider: 'livekit',
        room: 'r',
        adHoc: false,
        scheduledStart: now - 60_000,
        scheduledEnd: now + 1_000,
        roster: [],
        policy: { kind: 'percentage' },
      },
      timings,
      earlyJoinMs: 30_000,
      ...overrides,
    };
  }
  async function withWorker<T>(stubs: Stubs, run: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `wf-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      activities: stubs.activities(),
      workflowBundle: { codePath: process.env.ROLLCALL_TEST_WORKFLOW_BUNDLE! },
    });
    return worker.runUntil(run(taskQueue));
  }
  const start = (taskQueue: string, args: SessionWorkflowInput) =>
    env.client.workflow.start<typeof sessionWorkflow>('sessionWorkflow', {
      taskQueue,
      workflowId: `session-${args.session.id}`,
      args: [args],
    });
  const join = (i: number, at: number): AttendanceEvent => ({
    kind: 'joined',
    key: `j${i}`,
    at,
    source: 'webhook',
    connection: `c${i}`,
    person: { guestKey: `g${i}` },
  });

  it('no end ever comes: the hard stop is stored, calculated after the grace delay, and the run finishes after the late window', async () => {
    const stubs = new Stubs();
    const summary = await withWorker(stubs, async (queue) => (await start(queue, input())).result());
    assert.equal(summary.phase, 'calculated');
    assert.equal(summary.calculations, 1);
    const order = ['saveSession', 'loadSessionState', 'storeSessionFact:hard-stop', 'calculate:1:auto'];
    assert.deepEqual(
      stubs.calls.filter((call) => order.includes(call)),
      order,
    );
  });

  it('a late fact inside the late window is recalculated; the window then ends the run', async () => {
    const stubs = new Stubs();
    const args = input();
    const summary = await withWorker(stubs, async (queue) => {
      const handle = await start(queue, args);
      await handle.signal(factsSignal, [{ kind: 'meeting-ended', key: 'end', at: Date.now(), source: 'webhook' }]);
      for (let i = 0; i < 100 && (await handle.query(summaryQuery)).phase !== 'calculated'; i++) await sleep(100);
      await handle.signal(factsSignal, [join(1, args.session.scheduledStart! + 1_000)]);
      return handle.result();
    });
    assert.equal(summary.calculations, 2);
    assert.ok(stubs.calls.includes('calculate:2:auto'), stubs.calls.join(' '));
    assert.ok(!stubs.calls.includes('storeSessionFact:hard-stop'), 'an end came: no hard stop');
  });

  it('continues as new under a stream of facts, carrying its state, and still finishes', async () => {
    const stubs = new Stubs();
    const args = input({ continueAsNewEvents: 60, session: { ...input().session, scheduledEnd: Date.now() + 60_000 } });
    const { summary, runs } = await withWorker(stubs, async (queue) => {
      const handle = await start(queue, args);
      for (let i = 0; i < 80; i++) await handle.signal(factsSignal, [join(i, args.session.scheduledStart! + i)]);
      await handle.signal(factsSignal, [{ kind: 'meeting-ended', key: 'end', at: Date.now(), source: 'webhook' }]);
      const result = await handle.result();
      const runs: string[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
        runs.push(execution.runId);
      return { summary: result, runs };
    });
    assert.ok(runs.length >= 2, `expected a continue-as-new chain, got ${runs.length} run(s)`);
    assert.equal(summary.connections, 80, 'every connection carried across the runs');
    assert.equal(summary.acceptedEvents, 81);
  });

  it('recalculations asked every few hundred ms, under a stream of facts past the continue-as-new threshold, are all served and the session finishes', async () => {
    const stubs = new Stubs();
    stubs.calculationMs = 150;
    const args = input({ continueAsNewEvents: 80, session: { ...input().session, scheduledEnd: Date.now() + 60_000 } });
    const { summary, answered, runs, sent } = await withWorker(stubs, async (queue) => {
      const handle = await start(queue, args);
      let streaming = true;
      let answered = 0;
      // An operator recalculating over and over: requests land during calculations, between facts, and at the
      // threshold.
      const operator = (async () => {
        while (streaming) {
          await handle.executeUpdate(recalculateUpdate);
          answered += 1;
          await sleep(100);
        }
      })();
      // At least 120 facts (past the threshold), and on until the operator has had five answers, however slow
      // the machine: a stalled loop never gives them, and the count below says so.
      let sent = 0;
      for (; sent < 120 || (answered < 5 && sent < 600); sent++) {
        await handle.signal(factsSignal, [join(sent, args.session.scheduledStart! + sent)]);
        await sleep(20);
      }
      streaming = false;
      await operator;
      await handle.signal(factsSignal, [{ kind: 'meeting-ended', key: 'end', at: Date.now(), source: 'webhook' }]);
      const summary = await handle.result();
      const runs: string[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
        runs.push(execution.runId);
      return { summary, answered, runs, sent };
    });
    assert.ok(answered >= 5, `only ${answered} recalculations answered`);
    assert.ok(runs.length >= 2, `expected the stream to force a continue-as-new, got ${runs.length} run(s)`);
    assert.equal(summary.phase, 'calculated');
    assert.equal(summary.connections, sent);
  });

  it('a report receiver that is down never holds up the session; the newest report goes out once it is back', async () => {
    const stubs = new Stubs();
    stubs.pushDown = true;
    const args = input({ pushReports: true });
    const summary = await withWorker(stubs, async (queue) => {
      const summary = await (await start(queue, args)).result();
      // The session is done while its push is still retrying.
      const push = env.client.workflow.getHandle(`report-push-${args.session.id}-1`);
      assert.equal((await push.describe()).status.name, 'RUNNING');
      assert.ok(stubs.pushAttempts >= 1);
      stubs.pushDown = false;
      await push.result();
      return summary;
    });
    assert.equal(summary.phase, 'calculated');
    assert.deepEqual(stubs.pushed, [1]);
  });
});

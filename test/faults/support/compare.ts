/**
 * Waiting for a session of a fault cluster to settle on its final attendance (test/support/attendance.ts)
 * and on its stored facts (`session_facts`), and what its workflow says meanwhile.
 */
import assert from 'node:assert/strict';
import { sessionFactKeys } from '../../../src/db/facts.js';
import type { AttendanceEvent } from '../../../src/domain/index.js';
import { summaryQuery, type SessionSummary } from '../../../src/workflows/messages.js';
import { persistedAttendance, type Attendance } from '../../support/attendance.js';
import type { DevStack } from '../../support/kit/dev-stack.js';

/** The keys of the facts the session reads (its room's facts within its span, and its own), sorted. */
export async function loggedKeys(cluster: DevStack, sessionId: string): Promise<string[]> {
  // Sorted here as distinctKeys sorts (code units), whatever the database's collation.
  return (await sessionFactKeys(cluster.pool, sessionId)).sort();
}

export function distinctKeys(events: readonly AttendanceEvent[]): string[] {
  return [...new Set(events.map((event) => event.key))].sort();
}

export async function summaryOf(cluster: DevStack, sessionId: string): Promise<SessionSummary | undefined> {
  try {
    return await cluster.client.withDeadline(Date.now() + 5_000, () =>
      cluster.client.workflow.getHandle(`session-${sessionId}`).query(summaryQuery),
    );
  } catch {
    return undefined;
  }
}

/** Every run of the session's workflow (its continue-as-new chain), oldest first. */
export interface Run {
  runId: string;
  status: string;
  historyLength: number;
  /** Wall times (ms) the run started and closed (undefined while running). */
  start: number;
  close?: number;
}

export async function runsOf(cluster: DevStack, sessionId: string): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const execution of cluster.client.workflow.list({ query: `WorkflowId = 'session-${sessionId}'` })) {
    runs.push({
      runId: execution.runId,
      status: execution.status.name,
      historyLength: execution.historyLength,
      start: execution.startTime.getTime(),
      close: execution.closeTime?.getTime(),
    });
  }
  return runs.sort((a, b) => a.start - b.start);
}

/** Signals the session's workflow took, over its whole continue-as-new chain (the relay's deliveries, ends). */
export async function signalsOf(cluster: DevStack, sessionId: string): Promise<number> {
  let signals = 0;
  for (const run of await runsOf(cluster, sessionId)) {
    const history = await cluster.client.workflow.getHandle(`session-${sessionId}`, run.runId).fetchHistory();
    signals += (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes).length;
  }
  return signals;
}

/**
 * Waits until the session is calculated, its stored facts are exactly `keys`, and the persisted attendance equals
 * `expected` — the product may recalculate several times on its way (late events after an early end). On
 * timeout it asserts anyway, so the failure shows the difference. Returns how long settling took.
 */
export async function settle(
  cluster: DevStack,
  sessionId: string,
  expected: Attendance,
  keys: string[],
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  let last: { attendance: Attendance; logged: string[]; summary?: SessionSummary } | undefined;
  while (Date.now() - started < timeoutMs) {
    if (cluster.crashed.aborted)
      assert.fail(`a process crashed while session ${sessionId} settled:\n${cluster.crashReport()}`);
    const summary = await summaryOf(cluster, sessionId);
    if (summary?.phase === 'calculated') {
      const [attendance, logged] = await Promise.all([
        persistedAttendance(cluster.pool, sessionId),
        loggedKeys(cluster, sessionId),
      ]);
      last = { attendance, logged, summary };
      if (
        logged.length === keys.length &&
        JSON.stringify(logged) === JSON.stringify(keys) &&
        JSON.stringify(attendance) === JSON.stringify(expected)
      ) {
        return Date.now() - started;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  if (!last)
    assert.fail(
      `session ${sessionId} was never calculated within ${timeoutMs / 1000} s (summary: ${JSON.stringify(await summaryOf(cluster, sessionId))})`,
    );
  const [wanted, logged] = [new Set(keys), new Set(last.logged)];
  const missing = keys.filter((key) => !logged.has(key));
  const extra = last.logged.filter((key) => !wanted.has(key));
  assert.deepEqual(
    { missing: missing.length, extra: extra.length },
    { missing: 0, extra: 0 },
    `stored facts of ${sessionId}: ${missing.length} accepted events missing (e.g. ${missing.slice(0, 5).join(', ')}), ${extra.length} unexpected`,
  );
  const difference = describeDifference(last.attendance, expected);
  if (difference)
    assert.fail(
      `persisted attendance of ${sessionId} differs from the expectation (summary ${JSON.stringify(last.summary)}):\n${difference}`,
    );
  return Date.now() - started;
}

/** Rows only one side has, per table; empty when both are equal. */
export function describeDifference(actual: Attendance, expected: Attendance): string {
  const lines: string[] = [];
  for (const table of ['reports', 'cycles'] as const) {
    const mine = new Set(actual[table].map((row) => JSON.stringify(row)));
    const theirs = new Set(expected[table].map((row) => JSON.stringify(row)));
    const missing = [...theirs].filter((row) => !mine.has(row));
    const extra = [...mine].filter((row) => !theirs.has(row));
    if (missing.length + extra.length === 0) continue;
    lines.push(
      `${table}: ${actual[table].length} persisted, ${expected[table].length} expected; ${missing.length} expected rows missing, ${extra.length} unexpected`,
    );
    for (const row of missing.slice(0, 8)) lines.push(`  - expected ${row}`);
    for (const row of extra.slice(0, 8)) lines.push(`  + persisted ${row}`);
  }
  return lines.join('\n');
}

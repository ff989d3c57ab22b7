/**
 * The final persisted attendance of a session (session_reports + the attendance cycles, and the event log's
 * keys) in one comparable shape, the engine's result in the same shape, and waiting for the product to settle.
 */
import assert from 'node:assert/strict';
import type { AttendanceEvent, AttendanceResult } from '../../../src/domain/index.js';
import { summaryQuery, type SessionSummary } from '../../../src/workflows/messages.js';
import type { Cluster } from '../../support/processes.js';

/** One row per person: key, attended s, %, status, late, late min, cycle count, first join, last leave (ms). */
export type ReportTuple = [string, number, number, string, boolean, number, number, number | null, number | null];
/** One row per cycle: person, connection, joined, left (ms), closed by. */
export type CycleTuple = [string, string, number, number | null, string | null];

export interface Attendance {
  reports: ReportTuple[];
  cycles: CycleTuple[];
}

const byTuple = (a: unknown[], b: unknown[]) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
const ms = (date: Date | null) => (date === null ? null : date.getTime());
const pct = (value: number) => Math.round(value * 100) / 100;

export async function persistedAttendance(cluster: Cluster, sessionId: string): Promise<Attendance> {
  const reports = await cluster.pool.query<{
    person_key: string;
    attended_seconds: number;
    percentage: string;
    status: string;
    late: boolean;
    late_minutes: number;
    cycle_count: number;
    first_join: Date | null;
    last_leave: Date | null;
  }>(
    `SELECT person_key, attended_seconds, percentage, status, late, late_minutes, cycle_count, first_join, last_leave
     FROM session_reports WHERE session_id = $1 ORDER BY person_key`,
    [sessionId],
  );
  const cycles = await cluster.pool.query<{ person_key: string; connection: string; joined_at: Date; left_at: Date | null; closed_by: string | null }>(
    'SELECT person_key, connection, joined_at, left_at, closed_by FROM attendance WHERE session_id = $1',
    [sessionId],
  );
  return {
    reports: reports.rows
      .map((r): ReportTuple => [r.person_key, r.attended_seconds, Number(r.percentage), r.status, r.late, r.late_minutes, r.cycle_count, ms(r.first_join), ms(r.last_leave)])
      .sort(byTuple),
    cycles: cycles.rows.map((c): CycleTuple => [c.person_key, c.connection, c.joined_at.getTime(), ms(c.left_at), c.closed_by]).sort(byTuple),
  };
}

export function engineAttendance(result: AttendanceResult): Attendance {
  return {
    reports: result.people
      .map((p): ReportTuple => [p.personKey, p.attendedSeconds, pct(p.percentage), p.status, p.late, p.lateMinutes, p.cycles.length, p.firstJoin ?? null, p.lastLeave ?? null])
      .sort(byTuple),
    cycles: result.people
      .flatMap((p) => p.cycles.map((c): CycleTuple => [p.personKey, c.connection, c.joinedAt, c.leftAt ?? null, c.closedBy ?? null]))
      .sort(byTuple),
  };
}

export async function loggedKeys(cluster: Cluster, sessionId: string): Promise<string[]> {
  const { rows } = await cluster.pool.query<{ event_key: string }>('SELECT event_key FROM attendance_events WHERE session_id = $1 ORDER BY event_key', [sessionId]);
  return rows.map((row) => row.event_key);
}

export function distinctKeys(events: readonly AttendanceEvent[]): string[] {
  return [...new Set(events.map((event) => event.key))].sort();
}

export async function summaryOf(cluster: Cluster, sessionId: string): Promise<SessionSummary | undefined> {
  try {
    return await cluster.client.withDeadline(Date.now() + 5_000, () => cluster.client.workflow.getHandle(`session-${sessionId}`).query(summaryQuery));
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

export async function runsOf(cluster: Cluster, sessionId: string): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const execution of cluster.client.workflow.list({ query: `WorkflowId = 'session-${sessionId}'` })) {
    runs.push({ runId: execution.runId, status: execution.status.name, historyLength: execution.historyLength, start: execution.startTime.getTime(), close: execution.closeTime?.getTime() });
  }
  return runs.sort((a, b) => a.start - b.start);
}

/**
 * Waits until the session is calculated, its event log holds exactly `keys`, and the persisted attendance equals
 * `expected` — the product may recalculate several times on its way (late events after an early end). On
 * timeout it asserts anyway, so the failure shows the difference. Returns how long settling took.
 */
export async function settle(cluster: Cluster, sessionId: string, expected: Attendance, keys: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: { attendance: Attendance; logged: string[]; summary?: SessionSummary } | undefined;
  while (Date.now() - started < timeoutMs) {
    if (cluster.crashed.aborted) assert.fail(`a process crashed while session ${sessionId} settled:\n${cluster.crashReport()}`);
    const summary = await summaryOf(cluster, sessionId);
    if (summary?.phase === 'calculated') {
      const [attendance, logged] = await Promise.all([persistedAttendance(cluster, sessionId), loggedKeys(cluster, sessionId)]);
      last = { attendance, logged, summary };
      if (logged.length === keys.length && JSON.stringify(logged) === JSON.stringify(keys) && JSON.stringify(attendance) === JSON.stringify(expected)) {
        return Date.now() - started;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  if (!last) assert.fail(`session ${sessionId} was never calculated within ${timeoutMs / 1000} s (summary: ${JSON.stringify(await summaryOf(cluster, sessionId))})`);
  const [wanted, logged] = [new Set(keys), new Set(last.logged)];
  const missing = keys.filter((key) => !logged.has(key));
  const extra = last.logged.filter((key) => !wanted.has(key));
  assert.deepEqual({ missing: missing.length, extra: extra.length }, { missing: 0, extra: 0 }, `event log of ${sessionId}: ${missing.length} accepted events missing (e.g. ${missing.slice(0, 5).join(', ')}), ${extra.length} unexpected`);
  const difference = describeDifference(last.attendance, expected);
  if (difference) assert.fail(`persisted attendance of ${sessionId} differs from the expectation (summary ${JSON.stringify(last.summary)}):\n${difference}`);
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
    lines.push(`${table}: ${actual[table].length} persisted, ${expected[table].length} expected; ${missing.length} expected rows missing, ${extra.length} unexpected`);
    for (const row of missing.slice(0, 8)) lines.push(`  - expected ${row}`);
    for (const row of extra.slice(0, 8)) lines.push(`  + persisted ${row}`);
  }
  return lines.join('\n');
}

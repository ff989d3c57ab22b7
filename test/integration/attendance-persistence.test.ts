import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { saveAttendance } from '../../src/db/attendance.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { insertSession } from '../../src/db/sessions.js';
import { calculateAttendance, type AttendanceEvent } from '../../src/domain/index.js';
import { factSpan } from '../../src/sessions/routing.js';
import type { SessionSpec } from '../../src/workflows/types.js';
import { testConfig } from '../support/system.js';

describe('persisting calculated attendance', () => {
  let pool: Pool;
  before(() => {
    pool = createPool(testConfig().databaseUrl!);
  });
  after(() => pool.end());

  it('keeps two cycles of one connection that start at the same instant (a webhook cycle and a report row)', async () => {
    const id = `persist-${Date.now()}`;
    const spec: SessionSpec = {
      id,
      provider: 'zoom',
      room: '1',
      adHoc: false,
      scheduledStart: 0,
      scheduledEnd: 3_600_000,
      roster: [],
      policy: { kind: 'percentage' },
    };
    const { earlyJoinMs, maxOverrunMs } = testConfig().timings;
    await insertSession(pool, spec, `session-${id}`, factSpan(spec, earlyJoinMs, maxOverrunMs));
    const person = { guestKey: 'p1', name: 'Pat' };
    const events: AttendanceEvent[] = [
      { kind: 'joined', key: 'j', at: 600_000, source: 'webhook', connection: 'c1', person },
      { kind: 'left', key: 'l', at: 1_800_000, source: 'webhook', connection: 'c1', person },
      { kind: 'report-row', key: 'r', at: 600_000, leftAt: 1_200_000, source: 'report', connection: 'c1', person },
    ];
    const result = calculateAttendance({ session: { scheduledStart: 0, scheduledEnd: 3_600_000 }, events });
    const cycles = result.people[0]!.cycles;
    assert.equal(cycles.length, 2, 'the engine keeps both');
    assert.equal(
      await saveAttendance(pool, id, result, { auto: true, calculatedAt: new Date(), seq: 1 }),
      true,
      'the first calculation is saved',
    );
    const { rows } = await pool.query<{ cycle_index: number; joined_at: Date; left_at: Date; closed_by: string }>(
      'SELECT cycle_index, joined_at, left_at, closed_by FROM attendance WHERE session_id = $1 ORDER BY cycle_index',
      [id],
    );
    assert.deepEqual(
      rows.map((row) => [row.cycle_index, row.joined_at.getTime(), row.left_at.getTime(), row.closed_by]),
      cycles.map((cycle, index) => [index, cycle.joinedAt, cycle.leftAt, cycle.closedBy]),
    );
  });
});

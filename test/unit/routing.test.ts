import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adHocSessionId, pickSession } from '../../src/api/routing.js';
import type { SessionSpec } from '../../src/workflows/types.js';

const MIN = 60_000;
const session = (id: string, startMin: number, endMin: number): SessionSpec => ({
  id,
  provider: 'zoom',
  room: '123',
  adHoc: false,
  scheduledStart: startMin * MIN,
  scheduledEnd: endMin * MIN,
  roster: [],
  policy: { kind: 'percentage' },
});

describe('routing a room’s event to a session', () => {
  // Period 1 runs 0-45, period 2 runs 50-95 in the same room; 30 min early join, 2 h overrun allowed.
  const periods = [session('p1', 0, 45), session('p2', 50, 95)];
  const pick = (minute: number) => pickSession(periods, minute * MIN, 30 * MIN, 120 * MIN)?.id;

  it('picks the session whose scheduled window holds the event', () => {
    assert.equal(pick(10), 'p1');
    assert.equal(pick(60), 'p2');
  });

  it('uses the allowances before the start and after the end, nearest window first', () => {
    assert.equal(pick(-20), 'p1'); // early join
    assert.equal(pick(47), 'p1'); // two minutes after p1, three before p2
    assert.equal(pick(48), 'p2');
    assert.equal(pick(200), 'p2'); // overrun of p2
  });

  it('finds nothing outside every allowance, which makes the meeting ad-hoc', () => {
    assert.equal(pick(-31), undefined);
    assert.equal(pick(216), undefined);
  });

  it('gives each meeting instance its own URL-safe ad-hoc id', () => {
    const id = adHocSessionId({ provider: 'zoom', roomId: '123', instanceId: '/ab+c//d==' });
    assert.match(id, /^zoom-[A-Za-z0-9_-]+$/);
    assert.notEqual(id, adHocSessionId({ provider: 'zoom', roomId: '123', instanceId: '/ab+c//e==' }));
  });
});

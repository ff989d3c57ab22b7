import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adHocSession,
  adHocSessionId,
  factSpan,
  sessionsForFact,
  type RoutableSession,
} from '../../src/sessions/routing.js';
import type { SessionSpec } from '../../src/workflows/types.js';

const MIN = 60_000;
const EARLY = 30 * MIN;
const OVERRUN = 120 * MIN;
const POLICY = { kind: 'percentage' } as const;
const session = (id: string, startMin: number, endMin: number, room = '123'): SessionSpec => ({
  id,
  provider: 'zoom',
  room,
  adHoc: false,
  scheduledStart: startMin * MIN,
  scheduledEnd: endMin * MIN,
  roster: [],
  policy: POLICY,
});
const routable = (spec: SessionSpec): RoutableSession => ({ ...spec, ...factSpan(spec, EARLY, OVERRUN)! });

describe('a registered session’s fact span', () => {
  it('runs from the scheduled start less the early join to the scheduled end plus the overrun', () => {
    assert.deepEqual(factSpan(session('p1', 0, 45), EARLY, OVERRUN), {
      factsFrom: -30 * MIN,
      factsTo: 165 * MIN,
      instancesSince: -150 * MIN,
    });
  });

  it('reaches back one more overrun for an instance still open when it starts', () => {
    const span = factSpan(session('p2', 50, 95), EARLY, OVERRUN)!;
    assert.equal(span.instancesSince, span.factsFrom - OVERRUN);
  });

  it('does not exist for a session without a schedule (ad-hoc: its window is the meeting)', () => {
    assert.equal(factSpan({ scheduledStart: undefined, scheduledEnd: undefined }, EARLY, OVERRUN), undefined);
  });
});

describe('routing a room’s fact to its sessions', () => {
  // Period 1 runs 0-45, period 2 runs 50-95 in the same room; 30 min early join, 2 h overrun allowed.
  // The old router picked ONE session (the nearest window); a fact now reaches every session whose span holds
  // it, and each session's calculation keeps to its own window.
  const periods = [session('p1', 0, 45), session('p2', 50, 95)].map(routable);
  const room = { provider: 'zoom' as const, roomId: '123', instanceId: 'inst-1==' };
  const route = (minute: number, sessions: readonly RoutableSession[] = periods) =>
    sessionsForFact(sessions, room, minute * MIN, POLICY).map((s) => s.id);

  it('sends a fact to the session whose span alone holds it', () => {
    assert.deepEqual(route(10), ['p1']); // p2's span opens at 20
    assert.deepEqual(route(-20), ['p1']); // early join
    assert.deepEqual(route(200), ['p2']); // overrun of p2; p1's span closed at 165
  });

  it('sends a fact inside the spans of back-to-back sessions to each of them', () => {
    assert.deepEqual(route(25), ['p1', 'p2']);
    assert.deepEqual(route(47), ['p1', 'p2']);
    assert.deepEqual(route(60), ['p1', 'p2']);
  });

  it('holds the span’s ends', () => {
    assert.deepEqual(route(-30), ['p1']);
    assert.deepEqual(route(20), ['p1', 'p2']);
    assert.deepEqual(route(165), ['p1', 'p2']);
    assert.deepEqual(route(165.001), ['p2']);
    assert.deepEqual(route(215), ['p2']);
  });

  it('gives a fact outside every span to the ad-hoc session of its meeting instance', () => {
    for (const minute of [-31, 216]) {
      const [only, ...rest] = sessionsForFact(periods, room, minute * MIN, POLICY);
      assert.deepEqual(rest, []);
      assert.deepEqual(only, adHocSession(room, POLICY));
      assert.equal(only?.id, adHocSessionId(room));
    }
  });

  it('considers only sessions of the fact’s provider and room', () => {
    const elsewhere = [
      routable(session('other-room', 0, 45, '999')),
      { ...routable(session('livekit-room', 0, 45)), provider: 'livekit' as const },
    ];
    assert.deepEqual(route(10, elsewhere), [adHocSessionId(room)]);
    assert.deepEqual(route(10, [...elsewhere, ...periods]), ['p1']);
  });

  it('gives each meeting instance its own URL-safe ad-hoc id', () => {
    const id = adHocSessionId({ provider: 'zoom', instanceId: '/ab+c//d==' });
    assert.match(id, /^zoom-[A-Za-z0-9_-]+$/);
    assert.notEqual(id, adHocSessionId({ provider: 'zoom', instanceId: '/ab+c//e==' }));
    assert.match(adHocSessionId({ provider: 'livekit', instanceId: 'RM_abc' }), /^livekit-/);
  });

  it('makes the ad-hoc session of its instance: no schedule, no roster, the default policy', () => {
    assert.deepEqual(adHocSession({ ...room, topic: 'Office hours' }, POLICY), {
      id: adHocSessionId(room),
      provider: 'zoom',
      room: '123',
      instanceId: 'inst-1==',
      title: 'Office hours',
      adHoc: true,
      roster: [],
      policy: POLICY,
    });
  });
});

/**
 * Attendance engine benchmark: a 10,000-person webinar, 3 join/leave cycles each (60,000 events, a share of
 * them delivered out of order), attendance computed from scratch from the event log; and the live presence of
 * that room at mid-class from the workflow's state, as its `presence` query answers it: right after an event
 * changed the state, and when nothing changed since the previous query; and the live page's timeline of that
 * room after one new fact: kept fact by fact (`LiveTimelines`) against rebuilt from the whole log.
 * Run: node --import tsx bench/engine.ts   → prints median/min, writes .data/bench/engine.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  applyEvent,
  calculateAttendance,
  LiveTimelines,
  presenceFromState,
  stateFromEvents,
  type AttendanceEvent,
  type AttendanceInput,
  type PersonRef,
} from '../src/domain/index.js';
import { seededRandom } from '../test/support/random.js';
import { RESULTS_DIR } from './support/results.js';

const PEOPLE = 10_000;
const RUNS = 7;
const START = 1_736_154_000_000;
const MINUTE = 60_000;

function webinar(): AttendanceInput {
  const random = seededRandom(42);
  const events: AttendanceEvent[] = [];
  const roster = [];
  for (let i = 0; i < PEOPLE; i++) {
    const userId = `u${i}`;
    roster.push({ userId, email: `student${i}@school.edu`, name: `Student ${i}`, role: 'student' });
    // half are matched by email, half by provider identity
    const person: PersonRef =
      i % 2 === 0
        ? { guestKey: `zp-${i}`, email: `Student${i}@School.edu` }
        : { guestKey: `lk-${i}`, providerUserIds: [userId] };
    let t = START + Math.floor(random() * 20 * MINUTE);
    for (let cycle = 0; cycle < 3; cycle++) {
      // LiveKit-style people get a new connection per rejoin; Zoom-style keep one participant_uuid
      const connection = i % 2 === 0 ? `p${i}` : `p${i}-${cycle}`;
      const leave = t + Math.floor((5 + random() * 15) * MINUTE);
      events.push({ kind: 'joined', key: `j${i}-${cycle}`, at: t, source: 'webhook', connection, person });
      events.push({ kind: 'left', key: `l${i}-${cycle}`, at: leave, source: 'webhook', connection, person });
      t = leave + Math.floor(random() * 3 * MINUTE);
    }
  }
  // one event in ten swaps with another anywhere in the log: late retries and reordering
  for (let k = 0; k < events.length / 10; k++) {
    const a = Math.floor(random() * events.length);
    const b = Math.floor(random() * events.length);
    [events[a], events[b]] = [events[b]!, events[a]!];
  }
  events.push({ kind: 'meeting-started', key: 'started', at: START, source: 'webhook' });
  events.push({ kind: 'meeting-ended', key: 'ended', at: START + 90 * MINUTE, source: 'webhook' });
  return { session: { scheduledStart: START, scheduledEnd: START + 60 * MINUTE, roster }, events };
}

const input = webinar();
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Median and minimum of `runs` timed calls (after one untimed call: JIT). */
function measure(runs: number, call: (run: number) => unknown): { median: number; min: number } {
  call(-1);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    call(run);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: round(times[Math.floor(runs / 2)]!), min: round(times[0]!) };
}

let people = 0;
const attendance = measure(RUNS, () => (people = calculateAttendance(input).people.length));

// Presence at mid-class, from the state the workflow keeps (most of the room is in).
const state = stateFromEvents(input.events);
const now = START + 30 * MINUTE;
let inRoom = 0;
const latecomer = (run: number): AttendanceEvent => ({
  kind: 'joined',
  key: `late-${run}`,
  at: now - 1000,
  source: 'webhook',
  connection: `late-${run}`,
  person: { guestKey: `late-${run}` },
});
const presenceChanged = measure(RUNS, (run) => {
  applyEvent(state, latecomer(run));
  inRoom = presenceFromState(state, input, now).inRoom.length;
});
const presenceUnchanged = measure(RUNS, () => presenceFromState(state, input, now));

// The live timeline at mid-class, one new join per tick: kept fact by fact, and rebuilt from the whole log.
const live = new LiveTimelines(input);
live.add(input.events);
live.view(input, now);
const log = [...input.events];
let shown = 0;
const tickIncremental = measure(RUNS, (run) => {
  live.add([latecomer(100 + run)]);
  shown = live.view(input, now).people.length;
});
const tickFull = measure(RUNS, (run) => {
  log.push(latecomer(200 + run));
  calculateAttendance({ ...input, events: log, now });
});

const result = {
  scenario: `${PEOPLE} people × 6 events (3 join/leave cycles, one event in ten swapped out of order), attendance from scratch; presence of the room from the state`,
  runs: RUNS,
  medianMs: attendance.median,
  minMs: attendance.min,
  people,
  events: input.events.length,
  presence: {
    inRoom,
    afterChangeMedianMs: presenceChanged.median,
    afterChangeMinMs: presenceChanged.min,
    unchangedMedianMs: presenceUnchanged.median,
    unchangedMinMs: presenceUnchanged.min,
  },
  timelineTick: {
    people: shown,
    incrementalMedianMs: tickIncremental.median,
    incrementalMinMs: tickIncremental.min,
    fullMedianMs: tickFull.median,
    fullMinMs: tickFull.min,
  },
  node: process.version,
};
console.log(
  `engine: median ${result.medianMs} ms, min ${result.minMs} ms over ${RUNS} runs (${result.events} events, ${people} people); ` +
    `presence (${inRoom} in the room): after a change ${presenceChanged.median} ms, unchanged ${presenceUnchanged.median} ms; ` +
    `timeline tick after one new fact: ${tickIncremental.median} ms kept fact by fact, ${tickFull.median} ms rebuilt`,
);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(`${RESULTS_DIR}engine.json`, `${JSON.stringify(result, null, 2)}\n`);

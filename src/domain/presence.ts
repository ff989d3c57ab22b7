/**
 * Live presence at an instant `now`: who is in the room (a cycle that has started and not ended), since when
 * (the start of their current continuous presence, across overlapping connections), and how much attended
 * time inside the window they have so far.
 */
import { cycleIntervals, sessionWindow, stateFromEvents, type AttendanceContext, type AttendanceInput } from './attendance.js';
import { buildDirectory, type PersonIdentity } from './identity.js';
import { union, unionLength } from './intervals.js';
import { personTimelines } from './people.js';
import { sessionFacts, type AttendanceState } from './state.js';

export interface PresentPerson extends PersonIdentity {
  /** Start of the current continuous presence. */
  since: number;
  currentSeconds: number;
  /** Attended seconds inside the window up to `now`. */
  totalSeconds: number;
  /** Connections in the room now (two devices count two). */
  connections: number;
}

export interface Presence {
  at: number;
  /** Sorted by person key. */
  inRoom: PresentPerson[];
  counts: {
    inRoom: number;
    guestsInRoom: number;
    /** People seen so far (with at least one cycle). */
    seen: number;
  };
}

export function calculatePresence(input: AttendanceInput & { now: number }): Presence {
  return presenceFromState(stateFromEvents(input.events), input, input.now);
}

export function presenceFromState(state: AttendanceState, context: AttendanceContext, now: number): Presence {
  const facts = sessionFacts(state);
  const timelines = personTimelines(state, buildDirectory(context.users, context.session.roster), facts);
  const window = sessionWindow(state, facts, context.session, timelines, now);
  const soFar = window && { start: window.start, end: Math.min(window.end, now) };
  const inRoom: PresentPerson[] = [];
  for (const { identity, cycles } of timelines) {
    const open = cycles.filter((c) => c.joinedAt <= now && (c.leftAt === undefined || c.leftAt > now));
    if (open.length === 0) continue;
    const intervals = cycleIntervals(cycles, now);
    // an open cycle contains `now`, so some part of the union does
    const current = union(intervals).find((i) => i.start <= now && now <= i.end)!;
    inRoom.push({
      ...identity,
      since: current.start,
      currentSeconds: Math.floor((now - current.start) / 1000),
      totalSeconds: soFar ? Math.floor(unionLength(intervals, soFar) / 1000) : 0,
      connections: new Set(open.map((c) => c.connection)).size,
    });
  }
  return {
    at: now,
    inRoom,
    counts: { inRoom: inRoom.length, guestsInRoom: inRoom.filter((p) => p.guest).length, seen: timelines.length },
  };
}

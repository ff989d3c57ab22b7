/**
 * Live presence at an instant `now`: who is in the room (a cycle that has started and not ended), since when
 * (the start of their current continuous presence, across overlapping connections), and how much attended
 * time inside the window they have so far.
 *
 * The workflow answers a presence query from its state at every call; a big room's timelines cost tens of
 * milliseconds to build, so they are kept per state between calls (see `PresenceCache`) and rebuilt only when
 * the state changed. What depends on `now` is a pass over cycles already built.
 */
import {
  coveredMs,
  sessionWindow,
  stateFromEvents,
  timelinesOf,
  type AttendanceContext,
  type AttendanceInput,
  type Timelines,
} from './attendance.js';
import { columnsFromEvents, columnsFromState } from './columns.js';
import type { PersonIdentity } from './identity.js';
import { stateVersion, type AttendanceState } from './state.js';
import { wholeSeconds } from './time.js';

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

/**
 * What presence keeps between calls for one state: its timelines, valid while the state's version and the
 * people they were resolved against (the roster and user directory arrays, compared by identity) are the ones
 * they were built for. The window, which the schedule and `now` decide, is worked out at every call.
 */
export class PresenceCache {
  private state: AttendanceState | undefined;
  private version = -1;
  private roster: unknown;
  private users: unknown;
  private built: Timelines | undefined;

  timelines(state: AttendanceState, context: AttendanceContext): Timelines {
    const version = stateVersion(state);
    const { roster } = context.session;
    if (
      this.built &&
      this.state === state &&
      this.version === version &&
      this.roster === roster &&
      this.users === context.users
    )
      return this.built;
    this.built = timelinesOf(columnsFromState(state), context);
    this.state = state;
    this.version = version;
    this.roster = roster;
    this.users = context.users;
    return this.built;
  }
}

/** One cache per state object when the caller keeps none (a workflow keeps one state for its run). */
const caches = new WeakMap<AttendanceState, PresenceCache>();

export function calculatePresence(input: AttendanceInput & { now: number }): Presence {
  const columns = columnsFromEvents(input.events) ?? columnsFromState(stateFromEvents(input.events));
  return presenceOf(timelinesOf(columns, input), input, input.now);
}

export function presenceFromState(
  state: AttendanceState,
  context: AttendanceContext,
  now: number,
  cache?: PresenceCache,
): Presence {
  let own = cache ?? caches.get(state);
  if (!own) caches.set(state, (own = new PresenceCache()));
  return presenceOf(own.timelines(state, context), context, now);
}

function presenceOf({ columns, timelines, firstJoin }: Timelines, context: AttendanceContext, now: number): Presence {
  const window = sessionWindow(columns, context.session, firstJoin, now);
  const inRoom: PresentPerson[] = [];
  let guestsInRoom = 0;
  for (const { identity, cycles } of timelines) {
    // in the room: a cycle that has started and not ended; connections counted once each
    let open = 0;
    let openConnections: Set<string> | undefined;
    let firstOpen = '';
    for (const c of cycles) {
      if (c.joinedAt > now) break; // sorted by join time
      if (c.leftAt !== undefined && c.leftAt <= now) continue;
      if (open === 0) firstOpen = c.connection;
      else if (c.connection !== firstOpen) (openConnections ??= new Set([firstOpen])).add(c.connection);
      open++;
    }
    if (open === 0) continue;
    const since = currentStart(cycles, now);
    if (identity.guest) guestsInRoom++;
    inRoom.push({
      personKey: identity.personKey,
      userId: identity.userId,
      email: identity.email,
      name: identity.name,
      role: identity.role,
      guest: identity.guest,
      since,
      currentSeconds: wholeSeconds(now - since),
      totalSeconds: window ? wholeSeconds(coveredMs(cycles, window.start, Math.min(window.end, now), now)) : 0,
      connections: openConnections ? openConnections.size : 1,
    });
  }
  return { at: now, inRoom, counts: { inRoom: inRoom.length, guestsInRoom, seen: timelines.length } };
}

/**
 * The start of the continuous presence that contains `now`: the union of the cycles (open ones running to
 * `now`; sorted by join time) taken run by run, touching cycles joining up, until the run that holds `now`.
 */
function currentStart(cycles: readonly { joinedAt: number; leftAt?: number }[], now: number): number {
  let runStart = 0;
  let runEnd = -Infinity;
  for (const c of cycles) {
    const end = c.leftAt ?? Math.max(c.joinedAt, now);
    if (c.joinedAt > runEnd) {
      if (runEnd >= now && runStart <= now) return runStart;
      runStart = c.joinedAt;
      runEnd = end;
    } else if (end > runEnd) runEnd = end;
  }
  return runStart;
}

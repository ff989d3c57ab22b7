/** From state to people: each connection's cycles, grouped under the person identity resolution assigns. */
import { compareCycles, connectionCycles, type Cycle, type SessionFacts } from './cycles.js';
import { describePerson, resolveConnections, type Directory, type PersonIdentity, type ProviderPerson } from './identity.js';
import { compareStrings } from './sorted-sets.js';
import { endsFor, type AttendanceState } from './state.js';

export interface PersonTimeline {
  identity: PersonIdentity;
  /** Sorted by join time, then connection. */
  cycles: Cycle[];
}

interface SeenConnection {
  connection: string;
  person: ProviderPerson;
  cycles: Cycle[];
}

/**
 * How long a move between rooms of one meeting (Zoom: main room ↔ breakout room) may take and still be one
 * continuous presence. Zoom sends the leave of one room and the join of the other within a second or two.
 */
export const MOVE_GAP_MS = 60_000;

/**
 * Everyone with at least one cycle, sorted by person key. A leave with no cycle is no evidence of attending,
 * and it closes nothing but its own connection's cycle (a leave never shortens another connection).
 * Nothing here depends on the order connections were first seen (the state's key order), only on their facts.
 */
export function personTimelines(state: AttendanceState, directory: Directory, session: SessionFacts): PersonTimeline[] {
  const seen: SeenConnection[] = [];
  const endsByInstances = new Map<string, readonly number[]>();
  for (const [connection, c] of Object.entries(state.connections)) {
    let ends: readonly number[] = state.meetingEnds;
    if (c.instances !== undefined && c.instances.length > 0) {
      const key = c.instances.join('\n');
      let known = endsByInstances.get(key);
      if (!known) endsByInstances.set(key, (known = endsFor(state, c.instances)));
      ends = known;
    }
    const cycles = connectionCycles(connection, c, session, ends);
    if (cycles.length > 0) seen.push({ connection, person: c.person, cycles });
  }

  const userIds = resolveConnections(seen.map((s) => s.person), directory);
  const users = new Map<string, SeenConnection[]>();
  const guests = new Map<string, SeenConnection[]>();
  seen.forEach((s, i) => {
    const userId = userIds[i];
    const groups = userId === undefined ? guests : users;
    const key = userId ?? s.person.guestKey;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  });

  const timelines: PersonTimeline[] = [];
  for (const [userId, connections] of users) timelines.push(timeline(userId, connections, directory));
  for (const connections of guests.values()) timelines.push(timeline(undefined, connections, directory));
  return timelines.sort((a, b) => compareStrings(a.identity.personKey, b.identity.personKey));
}

function timeline(userId: string | undefined, connections: readonly SeenConnection[], directory: Directory): PersonTimeline {
  const cycles = connections.length === 1 ? connections[0]!.cycles : connections.flatMap((s) => s.cycles).sort(compareCycles);
  return {
    identity: describePerson(userId, connections[0]!.person.guestKey, directory, providerDescription(connections)),
    cycles: bridgeMoves(cycles),
  };
}

/**
 * A cycle that ended by moving to another room of the meeting lasts until the person's next join, when that
 * join comes within MOVE_GAP_MS: main → breakout → main is continuous presence. When no join follows (the
 * other room's join was lost, or the person dropped), the cycle ends at its leave: no credit without evidence.
 * `cycles` sorted by join time; bridged cycles keep their place (their join time does not change).
 */
function bridgeMoves(cycles: Cycle[]): Cycle[] {
  for (let i = 0; i < cycles.length; i++) {
    const c = cycles[i]!;
    if (c.moved !== true) continue;
    delete c.moved;
    const leftAt = c.leftAt!;
    for (let k = i + 1; k < cycles.length; k++) {
      const next = cycles[k]!.joinedAt;
      if (next <= leftAt) continue;
      if (next - leftAt <= MOVE_GAP_MS) c.leftAt = next;
      break;
    }
  }
  return cycles;
}

/** The provider's email and name for a person: from their earliest connection (by first cycle) that has each. */
function providerDescription(connections: readonly SeenConnection[]): { email: string | undefined; name: string | undefined } {
  let email: SeenConnection | undefined;
  let name: SeenConnection | undefined;
  for (const s of connections) {
    if (s.person.email !== undefined && (!email || compareCycles(s.cycles[0]!, email.cycles[0]!) < 0)) email = s;
    if (s.person.name !== undefined && (!name || compareCycles(s.cycles[0]!, name.cycles[0]!) < 0)) name = s;
  }
  return { email: email?.person.email, name: name?.person.name };
}

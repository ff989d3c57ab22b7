/** From state to people: each connection's cycles, grouped under the person identity resolution assigns. */
import { compareCycles, connectionCycles, type Cycle, type SessionFacts } from './cycles.js';
import { describePerson, resolveConnections, type Directory, type PersonIdentity, type ProviderPerson } from './identity.js';
import { compareStrings } from './sorted-sets.js';
import type { AttendanceState, ConnectionState } from './state.js';

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
 * Everyone with at least one cycle, sorted by person key. A leave with no cycle is no evidence of attending.
 * Nothing here depends on the order connections were first seen (the state's key order), only on their facts.
 */
export function personTimelines(state: AttendanceState, directory: Directory, session: SessionFacts): PersonTimeline[] {
  const connections = Object.entries(state.connections);
  const orphanLeaves = orphanLeavesByGuestKey(connections);
  const seen: SeenConnection[] = [];
  for (const [connection, c] of connections) {
    const cycles = connectionCycles(connection, c, session, orphanLeaves.get(c.person.guestKey));
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
  return {
    identity: describePerson(userId, connections[0]!.person.guestKey, directory, providerDescription(connections)),
    cycles: connections.length === 1 ? connections[0]!.cycles : connections.flatMap((s) => s.cycles).sort(compareCycles),
  };
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

/** Leaves of connections that never opened (Zoom participant_left without join_time names only user_id). */
function orphanLeavesByGuestKey(connections: ReadonlyArray<[string, ConnectionState]>): Map<string, number[]> {
  const leaves = new Map<string, number[]>();
  for (const [, c] of connections) {
    if (c.joins.length > 0 || c.listed.length > 0 || c.leaves.length === 0) continue;
    leaves.set(c.person.guestKey, [...(leaves.get(c.person.guestKey) ?? []), ...c.leaves]);
  }
  return leaves;
}

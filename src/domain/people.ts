/** From facts to people: each connection's cycles, grouped under the person identity resolution assigns. */
import type { FactColumns } from './columns.js';
import { compareCycles, connectionCycles, simpleCycles, type Cycle } from './cycles.js';
import { describePerson, matchUser, type Directory, type KnownUser, type PersonIdentity } from './identity.js';

export interface PersonTimeline {
  identity: PersonIdentity;
  /** Sorted by join time, then connection. */
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
 * Nothing here depends on the order connections were first seen (the row order), only on their facts.
 */
export function personTimelines(columns: FactColumns, directory: Directory): PersonTimeline[] {
  const { ids, guestKeys, emails, names, userIds, complex, joins, joinFrom, leaves, leaveFrom, ends, session } =
    columns;
  const n = ids.length;
  // The rows with any cycle: a general row's cycles are computed here; a simple row has cycles iff it has a join.
  const general = new Array<Cycle[] | undefined>(n);
  const seen: number[] = [];
  let moves = false;
  for (let i = 0; i < n; i++) {
    const facts = complex[i];
    if (facts) {
      const cycles = connectionCycles(ids[i]!, facts, session, ends[i]!);
      if (cycles.length === 0) continue;
      general[i] = cycles;
      if (facts.moves !== undefined && facts.moves.length > 0) moves = true;
    } else if (joinFrom[i + 1]! === joinFrom[i]!) continue;
    seen.push(i);
  }

  // Identity: a connection's own match, else the match of another connection with its guest key (smallest user id).
  const direct = new Array<KnownUser | undefined>(seen.length);
  let unmatched = false;
  for (let s = 0; s < seen.length; s++) {
    const row = seen[s]!;
    if ((direct[s] = matchUser(emails[row], userIds[row], directory)) === undefined) unmatched = true;
  }
  // (only connections that matched nothing themselves need the links)
  const byGuestKey = new Map<string, KnownUser>();
  for (let s = 0; unmatched && s < seen.length; s++) {
    const user = direct[s];
    if (user === undefined) continue;
    const guestKey = guestKeys[seen[s]!]!;
    const linked = byGuestKey.get(guestKey);
    if (linked === undefined || user.userId < linked.userId) byGuestKey.set(guestKey, user);
  }

  // Group rows by person: users by their place in the directory, guests by guest key.
  const userPerson = new Int32Array(directory.users.size).fill(-1);
  const guests = new Map<string, number>();
  const personUser: Array<KnownUser | undefined> = [];
  const personOf = new Int32Array(seen.length);
  for (let s = 0; s < seen.length; s++) {
    const user = direct[s] ?? (unmatched ? byGuestKey.get(guestKeys[seen[s]!]!) : undefined);
    let p = user === undefined ? guests.get(guestKeys[seen[s]!]!) : userPerson[user.index]!;
    if (p === undefined || p < 0) {
      p = personUser.length;
      if (user === undefined) guests.set(guestKeys[seen[s]!]!, p);
      else userPerson[user.index] = p;
      personUser.push(user);
    }
    personOf[s] = p;
  }
  const people = personUser.length;
  const from = new Int32Array(people + 1);
  for (let s = 0; s < seen.length; s++) from[personOf[s]! + 1]!++;
  for (let p = 0; p < people; p++) from[p + 1]! += from[p]!;
  const next = from.slice(0, people);
  const rows = new Int32Array(seen.length);
  for (let s = 0; s < seen.length; s++) rows[next[personOf[s]!]!++] = seen[s]!;

  const timelines: PersonTimeline[] = [];
  const keys: string[] = [];
  for (let p = 0; p < people; p++) {
    const first = rows[from[p]!]!;
    let cycles: Cycle[];
    let email = emails[first];
    let name = names[first];
    if (from[p + 1]! - from[p]! === 1) {
      cycles = general[first] ?? [];
      if (!general[first])
        simpleCycles(
          cycles,
          ids[first]!,
          joins,
          joinFrom[first]!,
          joinFrom[first + 1]!,
          leaves,
          leaveFrom[first]!,
          leaveFrom[first + 1]!,
          ends[first]!,
          session,
        );
    } else {
      cycles = [];
      const described = new EarliestDescription();
      for (let k = from[p]!; k < from[p + 1]!; k++) {
        const row = rows[k]!;
        const start = cycles.length;
        const own = general[row];
        if (own) for (const c of own) cycles.push(c);
        else
          simpleCycles(
            cycles,
            ids[row]!,
            joins,
            joinFrom[row]!,
            joinFrom[row + 1]!,
            leaves,
            leaveFrom[row]!,
            leaveFrom[row + 1]!,
            ends[row]!,
            session,
          );
        described.offer(cycles[start]!, emails[row], names[row]);
      }
      sortCycles(cycles);
      ({ email, name } = described);
    }
    const timeline = personTimeline(personUser[p], guestKeys[first]!, directory, email, name, cycles, moves);
    timelines.push(timeline);
    keys.push(timeline.identity.personKey);
  }
  return sortedByKey(timelines, keys);
}

/** A person's timeline from their cycles (sorted; bridged across moves in place when `moves`). */
export function personTimeline(
  user: KnownUser | undefined,
  guestKey: string,
  directory: Directory,
  email: string | undefined,
  name: string | undefined,
  cycles: Cycle[],
  moves: boolean,
): PersonTimeline {
  return {
    identity: describePerson(user, guestKey, directory, email, name),
    cycles: moves ? bridgeMoves(cycles) : cycles,
  };
}

/** The provider's email and name for a person of several connections: from the earliest (by first cycle) that has each. */
export class EarliestDescription {
  email: string | undefined;
  name: string | undefined;
  private emailCycle: Cycle | undefined;
  private nameCycle: Cycle | undefined;

  offer(firstCycle: Cycle, email: string | undefined, name: string | undefined): void {
    if (email !== undefined && (!this.emailCycle || compareCycles(firstCycle, this.emailCycle) < 0)) {
      this.email = email;
      this.emailCycle = firstCycle;
    }
    if (name !== undefined && (!this.nameCycle || compareCycles(firstCycle, this.nameCycle) < 0)) {
      this.name = name;
      this.nameCycle = firstCycle;
    }
  }
}

/** `items` in the order of their (unique) keys, by code unit as `compareStrings` orders. */
export function sortedByKey<T>(items: readonly T[], keys: readonly string[]): T[] {
  const order = new Array<number>(items.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  return order.map((i) => items[i]!);
}

/** Sorts a person's few cycles in place (insertion sort: `Array.prototype.sort` allocates work arrays per call). */
export function sortCycles(cycles: Cycle[]): void {
  for (let a = 1; a < cycles.length; a++) {
    const c = cycles[a]!;
    let b = a - 1;
    for (; b >= 0 && compareCycles(cycles[b]!, c) > 0; b--) cycles[b + 1] = cycles[b]!;
    cycles[b + 1] = c;
  }
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

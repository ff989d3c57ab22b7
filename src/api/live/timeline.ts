import { LiveTimelines, type DirectoryUser, type PersonTimeline, type RosterEntry } from '../../domain/index.js';
import { loadSessionFactsBetween, sessionFactsDigest, type FactSetDigest } from '../../db/facts.js';
import type { Pool } from '../../db/pool.js';
import type { ReportCycle } from '../../db/reports.js';
import type { SessionRow } from '../../db/sessions.js';
import { loadDirectoryFor } from '../../db/users.js';

export interface TimelinePerson {
  personKey: string;
  name: string | null;
  email: string | null;
  guest: boolean;
  cycles: ReportCycle[];
}

/** Every person's cycles so far, for the live page's chart; times ISO-8601 UTC like the attendance report. */
export interface Timeline {
  /** The attendance window (scheduled, or the actual meeting of an ad-hoc session); null before any evidence. */
  window: { start: string; end: string } | null;
  people: TimelinePerson[];
}

const iso = (ms: number) => new Date(ms).toISOString();

const NO_FACTS: FactSetDigest = { count: 0, seqSum: 0n, lastSeq: 0n };

/**
 * One session's timeline for the live page, with the same engine (and directory) as the final calculation, so a
 * live session's chart becomes the persisted one once it is calculated. Open cycles have `leftAt: null`.
 *
 * It keeps the folded facts between ticks and reads only the facts numbered after the last one it read; the
 * engine then recomputes only the people those facts are about, and each person's JSON is kept until their
 * timeline changes. When the session's fact set changed in any other way (see `FactSetDigest`) it reads it
 * all again.
 */
export class LiveTimeline {
  private timelines: LiveTimelines | undefined;
  /** The sums of the facts folded into `timelines`. */
  private read = NO_FACTS;
  private users: DirectoryUser[] = [];
  private roster: { json: string; entries: RosterEntry[] | undefined } = { json: '', entries: undefined };
  private readonly json = new WeakMap<PersonTimeline, string>();

  /** The timeline as JSON when the session's facts changed since the previous call, else undefined. */
  async update(pool: Pool, session: SessionRow, now: number): Promise<string | undefined> {
    const digest = await sessionFactsDigest(pool, session.id);
    if (same(digest, this.read)) return undefined;
    let facts = this.timelines
      ? await loadSessionFactsBetween(pool, session.id, this.read.lastSeq, digest.lastSeq)
      : [];
    if (!this.timelines || !same(digest, withFacts(this.read, facts))) {
      facts = await loadSessionFactsBetween(pool, session.id, 0n, digest.lastSeq);
      this.timelines = undefined;
      this.read = NO_FACTS;
      this.users = [];
    }
    this.read = withFacts(this.read, facts);
    const events = facts.map((fact) => fact.event);
    await this.learnUsers(pool, events);
    const context = { session: { ...session, roster: this.sameRoster(session.roster) }, users: this.users };
    this.timelines ??= new LiveTimelines(context);
    this.timelines.add(events);
    const { window, people } = this.timelines.view(context, now);
    const windowJson = JSON.stringify(window ? { start: iso(window.start), end: iso(window.end) } : null);
    return `{"window":${windowJson},"people":[${people.map((t) => this.personJson(t)).join(',')}]}`;
  }

  /** Directory users anyone in the new facts could match; a new array only when there is someone new. */
  private async learnUsers(pool: Pool, events: Parameters<typeof loadDirectoryFor>[1]): Promise<void> {
    const known = new Set(this.users.map((user) => user.userId));
    const fresh = (await loadDirectoryFor(pool, events)).filter((user) => !known.has(user.userId));
    if (fresh.length > 0) this.users = [...this.users, ...fresh];
  }

  /** The roster as last seen while it reads the same: the engine re-resolves everyone for a different one. */
  private sameRoster(roster: RosterEntry[] | undefined): RosterEntry[] | undefined {
    const json = JSON.stringify(roster ?? null);
    if (json !== this.roster.json) this.roster = { json, entries: roster };
    return this.roster.entries;
  }

  private personJson(t: PersonTimeline): string {
    let json = this.json.get(t);
    if (json === undefined) {
      const person: TimelinePerson = {
        personKey: t.identity.personKey,
        name: t.identity.name ?? null,
        email: t.identity.email ?? null,
        guest: t.identity.guest,
        cycles: t.cycles.map((cycle) => ({
          joinedAt: iso(cycle.joinedAt),
          leftAt: cycle.leftAt === undefined ? null : iso(cycle.leftAt),
          closedBy: cycle.closedBy ?? null,
        })),
      };
      this.json.set(t, (json = JSON.stringify(person)));
    }
    return json;
  }
}

function withFacts(digest: FactSetDigest, facts: ReadonlyArray<{ seq: bigint }>): FactSetDigest {
  let { count, seqSum, lastSeq } = digest;
  for (const { seq } of facts) {
    count++;
    seqSum += seq;
    if (seq > lastSeq) lastSeq = seq;
  }
  return { count, seqSum, lastSeq };
}

function same(a: FactSetDigest, b: FactSetDigest): boolean {
  return a.count === b.count && a.seqSum === b.seqSum && a.lastSeq === b.lastSeq;
}

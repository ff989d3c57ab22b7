/**
 * The relay: brings stored facts to the session workflows they bear on. Webhooks are acknowledged once their
 * facts are committed; this loop then claims facts not yet relayed (oldest first, `FOR UPDATE SKIP LOCKED`, so
 * several API processes share the work), routes each to its sessions, sends every session ONE signal carrying
 * all of its facts of the batch, and marks relayed only the facts whose every session took its signal. A crash
 * or a Temporal outage leaves facts unmarked: they are delivered when the loop next runs, here or in another
 * process. The workflow drops facts it already has, so a delivery repeated after a crash changes nothing.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import { claimUnrelayedFacts, markRelayed, type UnrelayedFact } from '../db/facts.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { getSessions, sessionsForRooms } from '../db/sessions.js';
import type { AttendanceEvent } from '../domain/index.js';
import type { Logger } from '../logger.js';
import type { SessionSpec } from '../workflows/types.js';
import { sessionsForFact } from './routing.js';
import { isTemporalUnavailable, within } from './temporal-errors.js';
import { deliverFacts } from './workflow-client.js';

/** Facts claimed per round: one round sends each session at most one signal. */
const BATCH_FACTS = 2_000;
/** Facts per signal at most: keeps a payload far below Temporal's 2 MB; the rest go in the next round. */
const MAX_FACTS_PER_SIGNAL = 500;
/**
 * Least time between two rounds: a session gets at most a few signals a second however many webhooks arrive
 * (a storm becomes a few large signals), which keeps its history, workflow tasks and per-run signal count small.
 */
const MIN_ROUND_INTERVAL_MS = 200;
/** With nothing announced, look for work anyway this often (another process's facts, or one that crashed). */
const POLL_INTERVAL_MS = 1_000;
/** After a round that could not deliver (Temporal or PostgreSQL down), wait this long, doubling up to the cap. */
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 5_000;
/** Signals in flight at once within a round. */
const CONCURRENCY = 16;
/** One signal's budget; the SDK retries transient failures within it. */
const SIGNAL_BUDGET_MS = 5_000;

export interface RelayOptions {
  /** Observes each signal's round trip (metrics). */
  timeSignal?: <T>(signal: Promise<T>) => Promise<T>;
}

interface SessionBatch {
  spec: SessionSpec;
  events: AttendanceEvent[];
  seqs: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Relay {
  private wake: (() => void) | undefined;
  private announced = false;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly temporal: Client,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** New facts were stored: run a round as soon as the interval allows. */
  announce(): void {
    this.announced = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const started = Date.now();
      this.announced = false;
      let more = false;
      try {
        const outcome = await this.round();
        more = outcome.claimed === BATCH_FACTS || outcome.deferred;
        failures = outcome.failed ? failures + 1 : 0;
      } catch (error) {
        failures += 1;
        this.logger.warn({ err: error }, 'relay round failed; retrying');
      }
      if (this.stopping) break;
      const backoff = failures > 0 ? Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (failures - 1)) : 0;
      await sleep(Math.max(0, started + MIN_ROUND_INTERVAL_MS - Date.now(), backoff));
      if (!more && !this.announced && failures === 0) await this.idle();
    }
  }

  /** Waits for an announcement or the poll interval. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, POLL_INTERVAL_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** One round: claim, route, signal, mark; all inside one transaction that holds the claimed rows. */
  private round(): Promise<{ claimed: number; failed: boolean; deferred: boolean }> {
    return inTransaction(this.pool, async (client) => {
      const facts = await claimUnrelayedFacts(client, BATCH_FACTS);
      if (facts.length === 0) return { claimed: 0, failed: false, deferred: false };
      const { batches, targets, deferred } = await this.route(facts);
      const failedSessions = new Set<string>();
      const queue = [...batches.values()];
      const worker = async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) {
          const ok = await this.signal(batch);
          if (!ok) failedSessions.add(batch.spec.id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
      const delivered = facts
        .filter((fact) => !deferred.has(fact.seq) && targets.get(fact.seq)!.every((id) => !failedSessions.has(id)))
        .map((fact) => fact.seq);
      await markRelayed(client, delivered);
      return { claimed: facts.length, failed: failedSessions.size > 0, deferred: deferred.size > 0 };
    });
  }

  /** Each fact's sessions, and each session's batch of facts (capped per signal; the rest wait for the next round). */
  private async route(facts: UnrelayedFact[]) {
    const rooms = new Map<string, { provider: string; room: string }>();
    let from = Infinity;
    let to = -Infinity;
    for (const { room, event } of facts) {
      rooms.set(`${room.provider}\u0000${room.roomId}`, { provider: room.provider, room: room.roomId });
      from = Math.min(from, event.at);
      to = Math.max(to, event.at);
    }
    const registered = await sessionsForRooms(this.pool, [...rooms.values()], from, to);
    const own = new Map(
      (await getSessions(this.pool, [...new Set(facts.flatMap((f) => (f.sessionId ? [f.sessionId] : [])))])).map(
        (s) => [s.id, s],
      ),
    );
    const batches = new Map<string, SessionBatch>();
    const targets = new Map<string, string[]>();
    const deferred = new Set<string>();
    for (const fact of facts) {
      // A session's own fact goes to it alone (gone with its session: nowhere).
      const sessions = fact.sessionId
        ? [own.get(fact.sessionId)].filter((s) => s !== undefined)
        : sessionsForFact(registered, fact.room, fact.event.at, this.config.defaultPolicy);
      targets.set(
        fact.seq,
        sessions.map((s) => s.id),
      );
      for (const spec of sessions) {
        let batch = batches.get(spec.id);
        if (!batch) batches.set(spec.id, (batch = { spec, events: [], seqs: [] }));
        if (batch.events.length >= MAX_FACTS_PER_SIGNAL) {
          deferred.add(fact.seq);
          continue;
        }
        batch.events.push(fact.event);
        batch.seqs.push(fact.seq);
      }
    }
    return { batches, targets, deferred };
  }

  private async signal(batch: SessionBatch): Promise<boolean> {
    const timed = this.options.timeSignal ?? (<T>(signal: Promise<T>) => signal);
    try {
      const sent = this.temporal.withDeadline(Date.now() + SIGNAL_BUDGET_MS, () =>
        deliverFacts(this.temporal, this.config, batch.spec, batch.events),
      );
      await timed(within(SIGNAL_BUDGET_MS + 500, sent, new Error('Temporal did not take the signal in time')));
      return true;
    } catch (error) {
      const level = isTemporalUnavailable(error) ? 'info' : 'warn';
      this.logger[level](
        { err: error, sessionId: batch.spec.id, facts: batch.events.length },
        'facts not delivered yet; the relay retries',
      );
      return false;
    }
  }
}

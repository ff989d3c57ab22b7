/**
 * Group commit for one workflow's signals. While a signal to a workflow is in flight (and for a short interval
 * after it started), events for the same workflow queue up and go out together as the next signal. A quiet session pays one round
 * trip per webhook, as before; a busy one (a webinar's join storm) sends a few large signals instead of
 * hundreds of small ones, which is what keeps a single workflow's history, its workflow tasks and Temporal's
 * 10,000-signals-per-run limit in hand. Each caller's promise settles with the signal that carried its events.
 */

/** Sends one signal carrying `events`; the batcher never calls it twice at once for the same key. */
export type SendSignal<O, E> = (options: O, events: E[]) => Promise<void>;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Batch<O, E> {
  options: O;
  events: E[];
  waiters: Waiter[];
  /** After this (epoch ms) every waiter has given up on its own deadline: sending the batch helps nobody. */
  lastDeadline: number;
}

interface Lane<O, E> {
  queue: Array<Batch<O, E>>;
}

export interface SignalBatcherOptions {
  /** Events per signal at most: keeps a payload far below Temporal's 2 MB limit. */
  maxEvents: number;
  /**
   * Least time between the starts of two signals to one workflow. Deliveries arriving sooner after a signal
   * wait for the next one, so a session under a storm takes a few large signals a second, not one per round trip.
   */
  minIntervalMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SignalBatcher<O, E> {
  private readonly lanes = new Map<string, Lane<O, E>>();

  constructor(
    private readonly send: SendSignal<O, E>,
    private readonly options: SignalBatcherOptions,
  ) {}

  /**
   * Queues `events` for the workflow `key` (started with `options` if needed) and resolves once a signal
   * carrying them is accepted. `deadline` (epoch ms) is when the caller stops waiting: a batch whose every
   * caller has stopped waiting is dropped unsent (each of them answered 503, so the provider redelivers).
   */
  deliver(key: string, options: O, events: E[], deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let lane = this.lanes.get(key);
      const idle = lane === undefined;
      lane ??= { queue: [] };
      if (idle) this.lanes.set(key, lane);
      let batch = lane.queue.at(-1);
      if (!batch || batch.events.length + events.length > this.options.maxEvents) {
        batch = { options, events: [], waiters: [], lastDeadline: deadline };
        lane.queue.push(batch);
      }
      batch.events.push(...events);
      batch.waiters.push({ resolve, reject });
      batch.lastDeadline = Math.max(batch.lastDeadline, deadline);
      if (idle) void this.drain(key, lane);
    });
  }

  private async drain(key: string, lane: Lane<O, E>): Promise<void> {
    for (let batch = lane.queue.shift(); batch; batch = lane.queue.shift()) {
      if (Date.now() > batch.lastDeadline) {
        for (const waiter of batch.waiters) waiter.reject(new Error('gave up waiting before the batch was sent'));
        continue;
      }
      const sentAt = Date.now();
      try {
        await this.send(batch.options, batch.events);
        for (const waiter of batch.waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of batch.waiters) waiter.reject(error);
      }
      // The lane stays open until the interval is over: what arrives meanwhile joins the next signal.
      const rest = sentAt + this.options.minIntervalMs - Date.now();
      if (rest > 0) await sleep(rest);
    }
    this.lanes.delete(key);
  }
}

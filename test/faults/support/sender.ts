/**
 * Delivers signed webhooks the way a provider does: N requests in flight, every request signed afresh (Zoom
 * signs each attempt with its own timestamp), an answer deadline (Zoom gives up on an endpoint after 3 s), and
 * redelivery with backoff of anything that was not a 2xx — bounded, as providers give up eventually. Every
 * answer is recorded so a test can say exactly what the product answered and when.
 */
import { signedWebhook, type Provider } from '../../support/scenario.js';

export interface SenderOptions {
  provider: Provider;
  /** The API's base URL. */
  url: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Attempts per webhook, the first included. */
  maxAttempts?: number;
  /** Backoff before the 2nd attempt; doubles each time up to maxDelayMs (with jitter). */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** An answer slower than this counts as a failure and is retried (Zoom: 3 s). */
  answerDeadlineMs?: number;
  /**
   * Least time between the first attempts of consecutive webhooks (default 0: as fast as the lanes go): a class
   * whose webhooks trickle in over minutes, as a real one's do, rather than a burst.
   */
  intervalMs?: number;
  /** Stops delivering (no new webhooks, no more retries) once aborted: e.g. the cluster's `crashed`. */
  abort?: AbortSignal;
  /**
   * Gives up on the endpoint once this many webhooks have failed every attempt (as a provider disables an
   * endpoint that keeps failing), so a broken system fails a test in minutes, not hours.
   */
  giveUpAfter?: number;
}

export interface Answer {
  /** Index of the webhook in the delivered list. */
  item: number;
  attempt: number;
  /** HTTP status, or 'timeout' (no answer within the deadline) / 'network' (refused, reset). */
  status: number | 'timeout' | 'network';
  ms: number;
  /** Wall time the answer came. */
  at: number;
}

export interface Outcome {
  item: number;
  /** The last answer: 200 when delivered. */
  status: Answer['status'];
  attempts: number;
  body?: unknown;
}

export interface Trigger {
  /** Fires once this many webhooks have been delivered (2xx) or given up. */
  after: number;
  run: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ProviderSender {
  readonly answers: Answer[] = [];
  private readonly options: Required<Omit<SenderOptions, 'abort'>>;
  private readonly abort?: AbortSignal;
  /** Webhooks that failed every attempt. */
  private failures = 0;

  constructor(options: SenderOptions) {
    this.options = {
      concurrency: 16,
      maxAttempts: 15,
      firstDelayMs: 250,
      maxDelayMs: 5_000,
      answerDeadlineMs: 3_000,
      giveUpAfter: 20,
      intervalMs: 0,
      ...options,
    };
    this.abort = options.abort;
  }

  /** Aborted from outside, or too many webhooks failed for good. */
  get stopped(): boolean {
    return (this.abort?.aborted ?? false) || this.failures >= this.options.giveUpAfter;
  }

  /** One webhook until a 2xx or the attempts run out. */
  async deliverOne(item: number, payload: object): Promise<Outcome> {
    const { maxAttempts, firstDelayMs, maxDelayMs, answerDeadlineMs, url } = this.options;
    let last: Answer['status'] = 'network';
    let body: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const request = await signedWebhook(this.options.provider, payload);
      const started = Date.now();
      try {
        const res = await fetch(`${url}${request.path}`, {
          method: 'POST',
          body: request.body,
          headers: request.headers,
          signal: AbortSignal.timeout(answerDeadlineMs),
        });
        body = await res.json().catch(() => undefined);
        last = res.status;
      } catch (error) {
        last = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
        body = undefined;
      }
      this.answers.push({ item, attempt, status: last, ms: Date.now() - started, at: Date.now() });
      if (typeof last === 'number' && last >= 200 && last < 300) return { item, status: last, attempts: attempt, body };
      if (this.stopped) return { item, status: last, attempts: attempt, body };
      if (attempt < maxAttempts) {
        const backoff = Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
        await sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
    this.failures += 1;
    return { item, status: last, attempts: maxAttempts, body };
  }

  /**
   * Delivers every payload with `concurrency` in flight, in list order of starting (so a shuffled list arrives
   * shuffled). Triggers fire, without pausing delivery, once their count of finished webhooks is reached;
   * their promises are awaited before this resolves.
   */
  async deliverAll(payloads: readonly object[], triggers: Trigger[] = []): Promise<Outcome[]> {
    const outcomes: Outcome[] = Array.from(payloads, (_, item) => ({ item, status: 'network' as const, attempts: 0 }));
    const pending = [...triggers].sort((a, b) => a.after - b.after);
    const fired: Array<Promise<void>> = [];
    let next = 0;
    let finished = 0;
    const began = Date.now();
    const fire = () => {
      while (pending.length > 0 && pending[0]!.after <= finished) fired.push(pending.shift()!.run());
    };
    fire();
    const lane = async () => {
      for (;;) {
        const item = next++;
        if (item >= payloads.length || this.stopped) return;
        const due = began + item * this.options.intervalMs;
        if (due > Date.now()) await sleep(due - Date.now());
        outcomes[item] = await this.deliverOne(item, payloads[item]!);
        finished += 1;
        fire();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, payloads.length) }, lane));
    // Triggers past the end still run (e.g. "restart the worker" after the last webhook).
    finished = Number.POSITIVE_INFINITY;
    fire();
    await Promise.all(fired);
    return outcomes;
  }

  /** Answers by status, and first-attempt latency figures, for the test's printout. */
  summary(): {
    requests: number;
    byStatus: Record<string, number>;
    retried: number;
    p50: number;
    p99: number;
    max: number;
  } {
    const byStatus: Record<string, number> = {};
    for (const answer of this.answers) byStatus[String(answer.status)] = (byStatus[String(answer.status)] ?? 0) + 1;
    const ms = this.answers.map((answer) => answer.ms).sort((a, b) => a - b);
    const pick = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
    return {
      requests: this.answers.length,
      byStatus,
      retried: new Set(this.answers.filter((answer) => answer.attempt > 1).map((answer) => answer.item)).size,
      p50: pick(0.5),
      p99: pick(0.99),
      max: ms.at(-1) ?? 0,
    };
  }
}

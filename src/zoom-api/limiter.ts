/**
 * Request pacing for one Zoom account. Zoom limits an account's requests per second per endpoint category (the
 * report endpoints are "Heavy": 40/s on Business and higher plans, 10/s on Pro) over every app and process that
 * uses it, and answers 429 past the limit. Rather than send as fast as it can and bounce off 429s, a worker paces
 * its requests: one slot every `1000 / rate` ms (plus a margin), shared by every sync the process runs. On a busy
 * event loop timers fire late, and slots that came due during a stall would go out together; so a slot is also
 * held back while the last `1000 ms + margin` already saw `rate` requests go. However late the timers, no second
 * holds more than `rate` requests, and a late slot goes as soon as the window has room rather than pushing every
 * later slot back.
 *
 * The rate adapts: a 429 pauses every request for `Retry-After` (else half a second). A 429 within a few seconds
 * of the previous pause (a smaller plan, another process using the same account) also lowers the rate by a quarter;
 * a lone one is jitter (requests that left on time arriving together) and costs only the pause. Each second
 * without a 429 raises the rate again by a twentieth of the ceiling, up to the ceiling.
 */

/**
 * Slots are spaced this much wider than `1000 / rate`: 40/s becomes one request every 26.25 ms (38 a second); and
 * `rate` requests at most go within any 1,050 ms, so arrival jitter of up to 50 ms cannot overfill a window.
 */
const MARGIN = 0.05;
const WINDOW_MS = 1000 * (1 + MARGIN);
/** A 429 without Retry-After pauses this long (Zoom's per-second windows reset within a second). */
const DEFAULT_PAUSE_MS = 500;
/** What a 429 leaves of the rate. */
const DECREASE = 0.75;
/** A 429 this soon after the previous pause ended means the limit is lower than the rate: slow down. */
const PERSISTENT_MS = 5_000;
/** The rate never drops below this many requests a second. */
const MIN_RATE = 1;

export interface RateLimiterOptions {
  /** Requests per second the account allows (the ceiling the rate recovers to). */
  perSecond: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateLimiterStats {
  /** Slots handed out. */
  granted: number;
  /** 429s reported. */
  throttled: number;
  /** The current rate, requests per second. */
  rate: number;
}

export class RateLimiter {
  readonly ceiling: number;
  private rate: number;
  /** Epoch ms at which the next slot starts. */
  private next = 0;
  private pausedUntil = 0;
  private lastThrottle = -Infinity;
  private lastRaise = -Infinity;
  private granted = 0;
  private throttles = 0;
  /** When the latest grants went (at most `ceiling` of them, oldest first). */
  private readonly recent: number[] = [];
  /** Callers waiting for a slot, in the order they are served. */
  private readonly waiting: Array<{ rank: number; grant: () => void }> = [];
  private pumping = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor({
    perSecond,
    now = Date.now,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }: RateLimiterOptions) {
    if (!(perSecond > 0)) throw new Error(`a rate limit must be positive, got ${perSecond}`);
    this.ceiling = perSecond;
    this.rate = perSecond;
    this.now = now;
    this.sleep = sleep;
  }

  get stats(): RateLimiterStats {
    return { granted: this.granted, throttled: this.throttles, rate: this.rate };
  }

  /**
   * Resolves when the caller may send one request. Waiting callers are served lowest `rank` first, then in the
   * order they asked: a sync ranks a page request by the pages its activity has read, so an instance that fell
   * behind (a slow write, a late answer) catches up, and the instances reach their last pages together instead
   * of a few stragglers reading theirs one request at a time at the end.
   */
  take(rank = 0): Promise<void> {
    return new Promise((grant) => {
      const behind = this.waiting.findIndex((waiter) => waiter.rank > rank);
      this.waiting.splice(behind < 0 ? this.waiting.length : behind, 0, { rank, grant });
      if (!this.pumping) void this.pump();
    });
  }

  /** Hands out slots while callers wait; a 429 that comes while it sleeps moves the next slot past the pause. */
  private async pump(): Promise<void> {
    this.pumping = true;
    // After a quiet spell the pace starts from now; while callers keep waiting, the schedule is kept, so a slot
    // that came due during a stall goes as soon as the window has room (see above).
    this.next = Math.max(this.next, this.now());
    while (this.waiting.length > 0) {
      const now = this.now();
      this.recover(now);
      const slot = Math.max(this.next, this.pausedUntil);
      const at = Math.max(slot, this.windowOpens());
      if (at > now) {
        await this.sleep(at - now);
        continue;
      }
      this.next = slot + ((1 + MARGIN) * 1000) / this.rate;
      this.granted += 1;
      this.recent.push(now);
      if (this.recent.length > this.ceiling) this.recent.shift();
      this.waiting.shift()!.grant();
    }
    this.pumping = false;
  }

  /**
   * Zoom answered 429: pause every request; and slow down if the previous pause ended only seconds ago (once per
   * pause, however many requests it refused).
   */
  throttled(retryAfterMs?: number): void {
    const now = this.now();
    this.throttles += 1;
    if (now >= this.pausedUntil && now - this.pausedUntil < PERSISTENT_MS)
      this.rate = Math.max(MIN_RATE, this.rate * DECREASE);
    this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? DEFAULT_PAUSE_MS));
    this.next = Math.max(this.next, this.pausedUntil);
    this.lastThrottle = now;
  }

  /** When a request may go and be at most the `rate`-th within WINDOW_MS. */
  private windowOpens(): number {
    const oldest = this.recent.at(-Math.max(1, Math.floor(this.rate)));
    return oldest === undefined ? -Infinity : oldest + WINDOW_MS;
  }

  private recover(now: number): void {
    // A second of sending without a 429: a pause is not quiet, nothing was sent.
    const quietSince = Math.max(this.lastThrottle, this.pausedUntil, this.lastRaise);
    if (this.rate >= this.ceiling || now - quietSince < 1000) return;
    this.rate = Math.min(this.ceiling, this.rate + this.ceiling / 20);
    this.lastRaise = now;
  }
}

/** Zoom's per-second limit of the report endpoints ("Heavy" APIs) on Business and higher plans. */
export const ZOOM_HEAVY_REQUESTS_PER_SECOND = 40;

const limiters = new Map<string, RateLimiter>();

/** The process's one limiter for an account (every client of the same account and API host shares it). */
export function accountLimiter(
  apiBaseUrl: string,
  accountId: string,
  perSecond = ZOOM_HEAVY_REQUESTS_PER_SECOND,
): RateLimiter {
  const key = `${apiBaseUrl} ${accountId}`;
  let limiter = limiters.get(key);
  if (!limiter) limiters.set(key, (limiter = new RateLimiter({ perSecond })));
  return limiter;
}

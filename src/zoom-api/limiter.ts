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

  /** Resolves when the caller may send one request. Callers are served in the order they asked (timers permitting). */
  async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.recover(now);
      const at = Math.max(now, this.next, this.pausedUntil);
      this.next = at + ((1 + MARGIN) * 1000) / this.rate;
      if (at > now) await this.sleep(at - now);
      // A slot that came due during a stall goes once the window has room (see above).
      for (let wait = this.windowOpens() - this.now(); wait > 0 && this.now() >= this.pausedUntil;) {
        await this.sleep(wait);
        wait = this.windowOpens() - this.now();
      }
      // A 429 that came while this caller slept pauses it too: it asks again for a slot after the pause.
      if (this.now() >= this.pausedUntil) {
        this.granted += 1;
        this.recent.push(this.now());
        if (this.recent.length > this.ceiling) this.recent.shift();
        return;
      }
    }
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
    if (this.rate >= this.ceiling || now - this.lastThrottle < 1000 || now - this.lastRaise < 1000) return;
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

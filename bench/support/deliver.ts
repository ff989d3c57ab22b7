/**
 * Delivery as a provider does it: every webhook once at the offered rate (those answers are the latency
 * figures), then whatever was not answered 200 — a 503 when Temporal did not accept it within the gateway's
 * budget — redelivered with backoff until accepted, as Zoom and LiveKit retry. Exactness is judged on what was
 * finally delivered, and the retries are counted.
 */
import { drive, type DriveResult } from './load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Delivery {
  /** First attempts only: the ack latency a provider sees. */
  first: DriveResult;
  /** Webhooks that needed at least one redelivery. */
  retried: number;
  /** Webhooks still not accepted after every redelivery round. */
  undelivered: number;
}

/** Redelivery stops after this long: a system that refuses everything (its worker gone) must not stall the run. */
const REDELIVERY_BUDGET_MS = 120_000;

export async function deliver(options: {
  count: number;
  rate?: number;
  concurrency: number;
  attempt: (i: number) => Promise<string>;
  onProgress?: (done: number) => void;
  rounds?: number;
}): Promise<Delivery> {
  const { count, rate, concurrency, attempt, onProgress, rounds = 8 } = options;
  let failed: number[] = [];
  const first = await drive({
    count,
    rate,
    concurrency,
    onProgress,
    send: async (i) => {
      const status = await attempt(i).catch((error: unknown) => (error instanceof Error ? error.name : 'error'));
      if (status !== '200') failed.push(i);
      return status;
    },
  });
  const retried = failed.length;
  const deadline = Date.now() + REDELIVERY_BUDGET_MS;
  for (let round = 0; round < rounds && failed.length > 0 && Date.now() < deadline; round++) {
    await sleep(Math.min(10_000, 1_000 * 2 ** round));
    const again = failed;
    failed = [];
    const result = await drive({
      count: again.length,
      durationMs: Math.max(0, deadline - Date.now()),
      concurrency: Math.max(1, Math.floor(concurrency / 4)),
      send: async (k) => {
        const status = await attempt(again[k]!).catch(() => 'error');
        if (status !== '200') failed.push(again[k]!);
        return status;
      },
    });
    // Whatever the budget cut off was not attempted this round: still undelivered.
    failed.push(...again.slice(result.requests));
  }
  return { first, retried, undelivered: failed.length };
}

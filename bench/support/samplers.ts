/** Background samplers that run beside a load: memory of the processes, and latency of a probe request. */
import type { BenchSystem } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Sampler<T> {
  stop(): Promise<T>;
}

/** Peak resident memory (MiB) of the worker, the API and the Temporal server, read every `everyMs`. */
export function sampleMemory(
  cluster: BenchSystem,
  everyMs = 500,
): Sampler<{ workerPeakMiB: number; apiPeakMiB: number; temporalPeakMiB: number }> {
  const peak = { workerPeakMiB: 0, apiPeakMiB: 0, temporalPeakMiB: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = cluster.rss();
      peak.workerPeakMiB = Math.max(peak.workerPeakMiB, Math.round(rss.worker ?? 0));
      peak.apiPeakMiB = Math.max(peak.apiPeakMiB, Math.round(rss.api ?? 0));
      peak.temporalPeakMiB = Math.max(peak.temporalPeakMiB, Math.round(rss.temporal ?? 0));
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Calls `probe` every `everyMs` (one at a time) and keeps each call's latency and whether it succeeded. */
export function sampleLatency(
  probe: () => Promise<boolean>,
  everyMs: number,
): Sampler<{ ms: number[]; failures: number }> {
  const ms: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await probe().catch(() => false);
      ms.push(performance.now() - started);
      if (!ok) failures += 1;
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ms, failures };
    },
  };
}

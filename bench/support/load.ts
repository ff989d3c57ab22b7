/**
 * A bounded-rate load driver: request i is due at t0 + i / rate, at most `concurrency` are in flight, and each
 * answer's latency is taken from when it was DUE, not from when it could be sent — so a system that falls
 * behind shows it in p99 instead of silently lowering the offered rate (coordinated omission). Without a rate
 * it is a closed loop: `concurrency` requests back to back, which measures the saturation throughput.
 *
 * Why not autocannon: its `overallRate` is a per-connection quota per second, so requests leave in bursts at
 * each second's start; the raw signalWithStart loop cannot be driven by autocannon at all, and both sides of
 * the gateway/raw ratio must see the same arrival pattern.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary, round } from './stats.js';

export interface DriveOptions {
  /** How many requests at most. */
  count: number;
  /** Stop issuing new requests after this long (the closed loop's measuring window). */
  durationMs?: number;
  /** Requests per second; omitted = closed loop. */
  rate?: number;
  concurrency: number;
  /** Sends request i; resolves to its status ('200', '503', ...). A rejection counts as its error name. */
  send: (i: number) => Promise<string>;
  /** Called at most every 250 ms with the number answered so far. */
  onProgress?: (done: number) => void;
}

export interface DriveResult {
  requests: number;
  ok: number;
  statuses: Record<string, number>;
  /** Answered requests per second over the whole step, including its drain. */
  throughput: number;
  /** Latency from due time to answer (ms). */
  latency: LatencySummary;
  /** Latency from the actual send to the answer (ms): the service time alone. */
  service: LatencySummary;
  wallMs: number;
}

export async function drive({
  count,
  durationMs,
  rate,
  concurrency,
  send,
  onProgress,
}: DriveOptions): Promise<DriveResult> {
  const latency: number[] = [];
  const service: number[] = [];
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  const dueAt = (i: number) => (rate ? t0 + (i * 1000) / rate : undefined);
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let timer: NodeJS.Timeout | undefined;
  let reported = 0;
  /** Set once the window is over: nothing new is issued, the requests in flight finish. */
  let closed = false;

  await new Promise<void>((resolve) => {
    const finishOne = (i: number, started: number, status: string) => {
      const now = performance.now();
      service.push(now - started);
      latency.push(now - (dueAt(i) ?? started));
      statuses[status] = (statuses[status] ?? 0) + 1;
      inFlight -= 1;
      done += 1;
      if (onProgress && now - reported > 250) {
        reported = now;
        onProgress(done);
      }
      pump();
    };
    const pump = () => {
      const now = performance.now();
      if (durationMs !== undefined && now - t0 >= durationMs) closed = true;
      while (!closed && next < count && inFlight < concurrency && (dueAt(next) ?? now) <= now) {
        const i = next++;
        inFlight += 1;
        const started = performance.now();
        send(i).then(
          (status) => finishOne(i, started, status),
          (error: unknown) => finishOne(i, started, error instanceof Error ? error.name : 'error'),
        );
      }
      if ((closed || next === count) && done === next) resolve();
      else if (!closed && next < count && inFlight < concurrency && rate) {
        clearTimeout(timer);
        timer = setTimeout(pump, Math.max(0, dueAt(next)! - performance.now()));
      }
    };
    pump();
  });
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  return {
    requests: done,
    ok: statuses['200'] ?? 0,
    statuses,
    throughput: round((done / wallMs) * 1000),
    latency: summarize(latency),
    service: summarize(service),
    wallMs: Math.round(wallMs),
  };
}

/** POSTs over keep-alive connections (one per concurrent request); resolves to the status once the body is read. */
export class HttpPoster {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(baseUrl: string, concurrency: number) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  post(
    path: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs = 10_000,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { name: 'Timeout' })));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

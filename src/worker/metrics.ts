import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The worker process's own metrics (the Temporal SDK's are exported by its Runtime on another port). One per
 * process, like the Runtime: activities run in the worker process, whichever Worker in it runs them.
 */
export const workerRegistry = new Registry();
collectDefaultMetrics({ register: workerRegistry });

export const calculationSeconds = new Histogram({
  name: 'rollcall_calculation_duration_seconds',
  help: 'Attendance calculation in the calculateAttendance activity: load the event log, compute, persist',
  labelNames: ['trigger'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [workerRegistry],
});

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics from the worker registry on `host` (METRICS_HOST: loopback by default); port 0 picks a free port (tests). */
export async function serveWorkerMetrics(port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    workerRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': workerRegistry.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end(`${String(error)}\n`),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

import './database.js';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { listen, type RunningApi } from '../../src/api/server.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { unrelayedCount } from '../../src/db/facts.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createClient } from '../../src/infra/temporal-client.js';
import { createLogger } from '../../src/logger.js';
import { connectWorker, createWorker, type RollcallWorker } from '../../src/worker/worker.js';

/** Settings the harness (test/run.ts) exported; integration tests fail loudly when run without it. */
function harnessEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\` (test/run.ts)`);
  return value;
}

/** The payload key of every test system (its workflow payloads are encrypted, as in production). */
export const TEST_PAYLOAD_KEY = `test-key:${Buffer.alloc(32, 7).toString('base64')}`;

/** Short timers so whole sessions finish in seconds; each system gets its own task queue. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: harnessEnv('TEST_DATABASE_URL'),
    TEMPORAL_ADDRESS: harnessEnv('TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    CALCULATION_DELAY: '2s',
    LATE_EVENT_WINDOW: '30s',
    RECONCILE_INTERVAL: '5s',
    SESSION_MAX_OVERRUN: '1h',
    LOG_LEVEL: 'warn',
    PAYLOAD_ENCRYPTION_KEY: TEST_PAYLOAD_KEY,
    ...overrides,
  });
}

export interface TestSystem {
  config: Config;
  pool: Pool;
  client: Client;
  api: RunningApi;
  worker: RollcallWorker;
  stop(): Promise<void>;
}

/** The real worker and API against the harness's Temporal server and database, on a free port. */
export async function startSystem(overrides: Record<string, string> = {}): Promise<TestSystem> {
  const config = testConfig(overrides);
  const logger = createLogger('test', config.logLevel);
  const pool = createPool(harnessEnv('TEST_DATABASE_URL'));
  const client = createClient(config);
  const connection: NativeConnection = await connectWorker(harnessEnv('TEST_TEMPORAL_ADDRESS'), logger);
  const worker = await createWorker({
    config,
    pool,
    logger,
    connection,
    temporal: client,
    workflowBundlePath: harnessEnv('ROLLCALL_TEST_WORKFLOW_BUNDLE'),
  });
  const running = worker.run();
  const api = await listen({ config, pool, temporal: client, logger }, 0, '127.0.0.1');
  return {
    config,
    pool,
    client,
    api,
    worker,
    stop: async () => {
      await api.close();
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
      await pool.end();
    },
  };
}

/** JSON request against the test API (writes always say JSON, as the API requires); returns status and parsed body. */
export async function request<T = unknown>(
  system: TestSystem,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${system.api.url}${path}`, {
    method,
    headers: {
      ...(body === undefined && method !== 'POST' && method !== 'PUT' ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: (type.includes('json') ? JSON.parse(text) : text) as T };
}

/** Polls until `probe` returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until the relay has delivered every stored fact to its sessions' workflows (their queries then see them). */
export async function relayed(system: TestSystem, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => ((await unrelayedCount(system.pool)) === 0 ? true : undefined),
    timeoutMs,
    'the relay to deliver every fact',
  );
}

/** The value of an unlabelled counter or gauge on the API's /metrics (0 before its first sample). */
export async function metric(system: TestSystem, name: string): Promise<number> {
  const text = (await request<string>(system, 'GET', '/metrics')).body;
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
}

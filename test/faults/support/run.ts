/** Small helpers the fault cases share: the scale switch, registration, printing measured figures. */
import assert from 'node:assert/strict';
import type { DevStack } from '../../support/kit/dev-stack.js';
import { registration, type ClassScenario } from './classes.js';
import type { Outcome } from './sender.js';

/** `FAULTS_SCALE=full` (npm run test:faults) runs the full sizes; anything else the CI sizes. */
export const FULL = process.env.FAULTS_SCALE === 'full';

/** How long a session may take to reach its exact final attendance once its last webhook is in. */
export const SETTLE_MS = FULL ? 300_000 : 120_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The probe's first defined value, asked every 200 ms; throws after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Measured figures go to stderr with a prefix, so a CI log shows them next to the test names. */
export function note(line: string): void {
  process.stderr.write(`[faults] ${line}\n`);
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A unique, readable suffix per run, so sessions and rooms of different runs never meet. */
export function stamp(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

export async function register(cluster: DevStack, scenario: ClassScenario, sessionId: string): Promise<void> {
  const res = await fetch(`${cluster.apiUrl}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(registration(scenario, sessionId)),
  });
  assert.equal(res.status, 201, `registering ${sessionId}: ${await res.text()}`);
}

/** No worker or API process died on its own; otherwise the report says how and shows its last output. */
export function assertNoCrash(cluster: DevStack): void {
  const report = cluster.crashReport();
  assert.equal(report, '', `a process crashed:\n${report}`);
}

/** Every webhook ended with a 2xx (a crash is reported first, as the likelier cause); else lists the first failures. */
export function assertAllDelivered(cluster: DevStack, outcomes: readonly Outcome[], what: string): void {
  assertNoCrash(cluster);
  const failed = outcomes.filter(
    (outcome) => typeof outcome.status !== 'number' || outcome.status < 200 || outcome.status >= 300,
  );
  const byStatus: Record<string, number> = {};
  for (const outcome of failed) {
    const key = outcome.attempts === 0 ? 'never sent' : String(outcome.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  assert.equal(
    failed.length,
    0,
    `${what}: ${failed.length} of ${outcomes.length} webhooks never got a 2xx ${JSON.stringify(byStatus)}, e.g. ${JSON.stringify(failed.filter((outcome) => outcome.attempts > 0).slice(0, 3))}`,
  );
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

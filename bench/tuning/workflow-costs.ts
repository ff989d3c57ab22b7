/**
 * CPU costs inside the hot paths that the webinar numbers point at, measured alone (no Temporal, no I/O):
 * - the presence query's computation (presenceFromState) and the size of its answer, at 1,000 and 10,000 people;
 * - folding events into the workflow state (applyEvent), and the carried state's JSON size at continue-as-new;
 * - what the gateway encodes per webhook as signalWithStart's start input, by roster size.
 * Medians of 7 after a warm-up. Run: npx tsx bench/tuning/workflow-costs.ts → bench/results/tuning/workflow-costs.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { defaultPayloadConverter } from '@temporalio/common';
import { sessionStartOptions } from '../../src/api/session-workflows.js';
import { loadConfig } from '../../src/config/index.js';
import { applyEvent, emptyState, presenceFromState, type AttendanceEvent, type AttendanceState } from '../../src/domain/index.js';
import { LargePayloadCodec } from '../../src/infra/payload-codec.js';
import { pastMinute } from '../../test/support/scenario.js';
import { RESULTS_DIR } from '../support/results.js';
import { median, round } from '../support/stats.js';
import { eventsOf, generateMeeting } from '../support/webhooks.js';

const RUNS = 7;

async function timed<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  await fn();
  const times: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    value = await fn();
    times.push(performance.now() - started);
  }
  return { ms: round(median(times), 2), value: value! };
}

const results: Record<string, unknown> = {};
for (const [people, roster] of [
  [1_000, 1_000],
  [10_000, 1_000],
  [10_000, 10_000],
] as const) {
  const meeting = generateMeeting({ provider: 'zoom', webinar: true, room: '81234567890', people, cycles: 3, start: pastMinute(70), seed: 8, roster });
  const events: AttendanceEvent[] = meeting.webhooks.flatMap((payload) => eventsOf('zoom', payload));
  const fold = await timed(() => {
    const state: AttendanceState = emptyState();
    for (const event of events) applyEvent(state, event);
    return state;
  });
  // Mid-meeting: the moment an operator looks.
  const now = meeting.scheduledStart + 30 * 60_000;
  const presence = await timed(() => presenceFromState(fold.value, { session: meeting.settings }, now));
  const answer = JSON.stringify(presence.value);
  const carried = JSON.stringify(fold.value);
  results[`${people} people, ${roster} on the roster`] = {
    events: events.length,
    applyEventAllMs: fold.ms,
    applyEventPerEventUs: round((fold.ms * 1000) / events.length, 2),
    presenceQueryMs: presence.ms,
    presenceAnswerKiB: Math.round(answer.length / 1024),
    inRoom: presence.value.counts.inRoom,
    carriedStateKiB: Math.round(carried.length / 1024),
  };
}

const config = loadConfig({});
const codec = new LargePayloadCodec();
for (const roster of [0, 30, 1_000, 10_000]) {
  const spec = {
    id: 'webinar',
    provider: 'zoom' as const,
    room: '81234567890',
    adHoc: false,
    scheduledStart: 1,
    scheduledEnd: 2,
    roster: Array.from({ length: roster }, (_, i) => ({ userId: `u${i}`, email: `u${i}@school.example`, name: `Person ${i}` })),
    policy: config.defaultPolicy,
  };
  const input = sessionStartOptions(config, spec).args[0];
  const encode = await timed(async () => (await codec.encode([defaultPayloadConverter.toPayload(input)]))[0]!);
  results[`signalWithStart start input, roster ${roster}`] = {
    jsonKiB: round(defaultPayloadConverter.toPayload(input).data!.length / 1024),
    onTheWireKiB: round(encode.value.data!.length / 1024),
    encodeMsPerWebhook: encode.ms,
  };
}

for (const [name, value] of Object.entries(results)) process.stderr.write(`${name}: ${JSON.stringify(value)}\n`);
mkdirSync(`${RESULTS_DIR}tuning`, { recursive: true });
writeFileSync(`${RESULTS_DIR}tuning/workflow-costs.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), runs: RUNS, results }, null, 2)}\n`);

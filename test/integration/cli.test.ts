import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storeFacts } from '../../src/db/facts.js';
import type { AttendanceEvent } from '../../src/domain/index.js';
import { generateSeries, startFakeZoomApi, type FakeSeries, type FakeZoomApi } from '../support/fake-zoom-api.js';
import { eventually, relayed, request, startSystem, type TestSystem, TEST_PAYLOAD_KEY } from '../support/system.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const UI = 'http://temporal-ui.test:8080';
/** Short timers, shared by the system and the CLI: a run the CLI starts (recalculation) takes the CLI's settings. */
const SETTINGS = { CALCULATION_DELAY: '1s', LATE_EVENT_WINDOW: '3s', TEMPORAL_UI_URL: `${UI}/` };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The operator CLI as a child process, exactly as `npm run rollcall` runs it. */
function rollcall(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('operator CLI', () => {
  let system: TestSystem;
  let env: NodeJS.ProcessEnv;
  let zoom: FakeZoomApi;
  let series: FakeSeries;
  const run = `cli-${Date.now()}`;
  const ids = { a: `${run}-a`, b: `${run}-b`, c: `${run}-c`, live: `${run}-live`, old: `${run}-old` };
  const start = Math.floor(Date.now() / MIN) * MIN - 90 * MIN;
  const scratch = mkdtempSync(join(tmpdir(), 'rollcall-cli-'));

  const calculatedAt = async (id: string) => {
    const { rows } = await system.pool.query<{ calculated_at: Date | null }>(
      'SELECT calculated_at FROM sessions WHERE id = $1',
      [id],
    );
    return rows[0]?.calculated_at?.getTime();
  };
  const statusOf = async (id: string) => {
    const { rows } = await system.pool.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [id]);
    return rows[0]?.status;
  };
  const register = (id: string, from: number, registeredTitle?: string) =>
    request<{ id: string; workflowId: string; temporalUiUrl: string }>(system, 'POST', '/api/sessions', {
      id,
      provider: 'livekit',
      room: `room-${id}`,
      title: registeredTitle,
      scheduledStart: new Date(from).toISOString(),
      scheduledEnd: new Date(from + 60 * MIN).toISOString(),
      roster: [{ userId: 'ada', name: 'Ada' }],
    });
  const join_ = (id: string): AttendanceEvent => ({
    kind: 'joined',
    key: `${id}-join`,
    at: start + 5 * MIN,
    source: 'webhook',
    instance: `RM_${id}`,
    connection: `PA_${id}`,
    person: { guestKey: 'ada', providerUserIds: ['ada'], name: 'Ada' },
  });

  // `recalculate --since` reads the whole sessions table: this file has a database of its own
  // (test/support/database.ts).
  before(async () => {
    zoom = await startFakeZoomApi({ accountId: 'acct-cli', clientId: 'client-cli', clientSecret: 'secret-cli' });
    series = generateSeries({
      kind: 'meeting',
      id: `8${Date.now() % 1_000_000_000}`,
      attendeesPerInstance: 6,
      seed: 3,
      instances: [
        { uuid: `cliA${Date.now()}==`, startTime: start - 2 * DAY, minutes: 45 },
        { uuid: `cliB${Date.now()}==`, startTime: start - DAY, minutes: 45 },
      ],
    });
    zoom.add(series);
    system = await startSystem({ ...SETTINGS, ...zoom.env() });
    env = {
      ...process.env,
      ...SETTINGS,
      ...zoom.env(),
      DATABASE_URL: system.config.databaseUrl,
      TEMPORAL_ADDRESS: system.config.temporal.address,
      TEMPORAL_TASK_QUEUE: system.config.temporal.taskQueue,
      // The worker encrypts workflow payloads: the CLI reads them (status, replay) with the same key.
      PAYLOAD_ENCRYPTION_KEY: TEST_PAYLOAD_KEY,
      LOG_LEVEL: 'warn',
    };
    delete env.API_URL;

    // Three sessions that ended (through the CLI), one still live past its scheduled end, one that ended days ago.
    for (const id of [ids.a, ids.b, ids.c, ids.live])
      assert.equal((await register(id, start, id === ids.a ? 'Algebra 2' : undefined)).status, 201);
    assert.equal((await register(ids.old, start - 3 * DAY)).status, 201);
    // Ada joins each of the four rooms (facts stored as a webhook stores them); the relay brings them to their
    // sessions.
    for (const id of [ids.a, ids.b, ids.c, ids.live])
      await storeFacts(system.pool, { provider: 'livekit', roomId: `room-${id}`, instanceId: `RM_${id}` }, [join_(id)]);
    await relayed(system);
  });

  after(async () => {
    await system.stop();
    await zoom.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('puts the Temporal UI deep link in the registration answer and GET /api/sessions/:id', async () => {
    const expected = `${UI}/namespaces/default/workflows/session-${ids.a}`;
    const again = await register(ids.a, start, 'Algebra 2');
    assert.deepEqual([again.status, again.body.temporalUiUrl], [200, expected]);
    const detail = await request<{ temporalUiUrl: string }>(system, 'GET', `/api/sessions/${ids.a}`);
    assert.equal(detail.body.temporalUiUrl, expected);
  });

  it('ends sessions; the final calculation follows', async () => {
    const endedAt = new Date(start + 60 * MIN).toISOString();
    // One at a time: each CLI process compiles its TypeScript as it starts, and three at once on a busy machine
    // can miss the CLI's Temporal connect budget.
    const ended: Ran[] = [];
    for (const id of [ids.a, ids.b, ids.c]) ended.push(await rollcall(env, 'end', id, '--at', endedAt));
    for (const [index, result] of ended.entries()) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`^ended session ${[ids.a, ids.b, ids.c][index]}: meeting end ${endedAt}, phase ended`),
      );
    }
    for (const id of [ids.a, ids.b, ids.c, ids.old])
      await eventually(
        async () => ((await statusOf(id)) === 'calculated' ? true : undefined),
        30_000,
        `${id} calculated`,
      );
    assert.equal(await statusOf(ids.live), 'live');
  });

  it('shows a session: stored row, workflow summary and deep link; --json answers as the API does', async () => {
    const text = await rollcall(env, 'status', ids.a);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Session +${ids.a} \\(Algebra 2\\)$`, 'm'));
    assert.match(text.stdout, /^Phase +calculated$/m);
    assert.match(text.stdout, /^Calculations +1, last at \d{4}-/m);
    assert.match(text.stdout, /^Counts +people 1: present 1, late 0, partial 0, absent 0, guests 0$/m);
    assert.match(text.stdout, new RegExp(`^Temporal UI +${UI}/namespaces/default/workflows/session-${ids.a}$`, 'm'));

    const json = await rollcall(env, 'status', ids.a, '--json');
    assert.equal(json.code, 0, json.stderr);
    const api = await request(system, 'GET', `/api/sessions/${ids.a}`);
    assert.deepEqual(JSON.parse(json.stdout), api.body);
  });

  it('recalculates one session, in a new run once its workflow has finished', async () => {
    const handle = system.client.workflow.getHandle(`session-${ids.a}`);
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'the first run to complete',
    );
    const before = await calculatedAt(ids.a);
    const result = await rollcall(env, 'recalculate', ids.a);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^recalculated ${ids.a}: phase calculated, \\d+ calculation\\(s\\); people 1: present 1`),
    );
    assert.ok((await calculatedAt(ids.a))! > before!, 'calculated_at moved');
  });

  it('recalculates every session that ended in the last day: not yet calculated ones, or all with --force', async () => {
    const stamps = async () =>
      Object.fromEntries(
        await Promise.all(Object.entries(ids).map(async ([key, id]) => [key, await calculatedAt(id)] as const)),
      );
    const initial = await stamps();
    assert.equal(initial.live, undefined);

    const pending = await rollcall(env, 'recalculate', '--since', '1', 'days');
    assert.equal(pending.code, 0, pending.stderr);
    assert.deepEqual(pending.stdout.match(/^ok {6}\S+/gm), [`ok      ${ids.live}`]);
    assert.match(pending.stdout, /^recalculated 1 of 1 session\(s\) that ended in the last 1d/m);
    const afterPending = await stamps();
    assert.ok(afterPending.live !== undefined);
    assert.deepEqual({ ...afterPending, live: undefined }, { ...initial, live: undefined });

    const forced = await rollcall(env, 'recalculate', '--since', '1', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(
      (forced.stdout.match(/^ok {6}\S+/gm) ?? []).sort(),
      [ids.a, ids.b, ids.c, ids.live].map((id) => `ok      ${id}`).sort(),
    );
    assert.match(forced.stdout, /^recalculated 4 of 4 session\(s\)/m);
    assert.match(forced.stderr, /^recalculating 4\/4, \d+\.\d\/s/m);
    const afterForced = await stamps();
    for (const key of ['a', 'b', 'c', 'live'] as const)
      assert.ok(afterForced[key]! > afterPending[key]!, `${key} recalculated`);
    assert.equal(afterForced.old, initial.old, 'a session that ended days ago is left alone');
  });

  it('replays every run of a session, fails on a non-deterministic change, and keeps histories as fixtures', async () => {
    const clean = await rollcall(env, 'replay', ids.a, '--out', scratch);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const runs = Number(/: (\d+) run\(s\), /.exec(clean.stdout)?.[1]);
    assert.ok(runs >= 2, `the finished run and the recalculation runs, got ${runs}`);
    assert.equal(clean.stdout.match(/^OK {6}run \d+ /gm)?.length, runs);
    assert.match(clean.stdout, new RegExp(`^all ${runs} run\\(s\\) replay cleanly$`, 'm'));
    const saved = readdirSync(scratch).sort();
    assert.equal(saved.length, runs);
    assert.equal(saved[0], `session-${ids.a}-run1.json`);

    const tampered = await rollcall(env, 'replay', ids.a, '--workflows', 'test/fixtures/tampered-workflow/index.ts');
    assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
    assert.equal(tampered.stdout.match(/^FAILED {2}run \d+ /gm)?.length, runs);
    assert.match(tampered.stdout, /^ {8}DeterminismViolationError: \[TMPRL1100\] Nondeterminism error: /m);

    const fromFile = await rollcall(env, 'replay', '--history-file', join(scratch, saved[0]));
    assert.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
    assert.match(fromFile.stdout, new RegExp(`^OK {6}session-${ids.a}-run1\\.json$`, 'm'));
    const fileTampered = await rollcall(
      env,
      'replay',
      '--history-file',
      join(scratch, saved[0]),
      '--workflows',
      'test/fixtures/tampered-workflow/index.ts',
    );
    assert.equal(fileTampered.code, 1, fileTampered.stdout + fileTampered.stderr);
  });

  it('starts a Zoom report sync, directly or through the API, and waits for its result', async () => {
    const [older, latest] = series.instances;
    const all = await rollcall(env, 'report-sync', '--meeting', series.id, '--recurring');
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.match(
      all.stdout,
      new RegExp(
        `^report sync zoom-report-sync-${series.id}-all started: ${UI}/namespaces/default/workflows/zoom-report-sync-${series.id}-all$`,
        'm',
      ),
    );
    for (const instance of [older!, latest!])
      assert.match(
        all.stdout,
        new RegExp(`^done +${instance.uuid.replaceAll('+', '\\+')}  .*rows ${instance.rows.length},`, 'm'),
      );
    assert.match(
      all.stdout,
      new RegExp(
        `^synced meeting ${series.id}: 2/2 instance\\(s\\), 2 page\\(s\\), ${older!.rows.length + latest!.rows.length} row\\(s\\)`,
        'm',
      ),
    );

    const viaApi = await rollcall(env, 'report-sync', '--meeting', series.id, '--api', system.api.url);
    assert.equal(viaApi.code, 0, viaApi.stdout + viaApi.stderr);
    assert.match(viaApi.stdout, new RegExp(`^report sync zoom-report-sync-${series.id}-latest started`, 'm'));
    assert.match(
      viaApi.stdout,
      new RegExp(
        `^synced meeting ${series.id}: 1/1 instance\\(s\\), 1 page\\(s\\), ${latest!.rows.length} row\\(s\\)`,
        'm',
      ),
    );

    const neither = await rollcall(env, 'report-sync', '--recurring');
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /^rollcall: give --meeting <id> or --webinar <id>/);
  });

  it('answers mistakes with one line and an exit code: 1 failed, 2 bad configuration or usage', async () => {
    const unknown = await rollcall(env, 'status', 'no-such-session');
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'rollcall: no session no-such-session\n']);

    const finished = system.client.workflow.getHandle(`session-${ids.b}`);
    await eventually(
      async () => ((await finished.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'the last run of b to complete',
    );
    const endFinished = await rollcall(env, 'end', ids.b);
    assert.deepEqual(
      [endFinished.code, endFinished.stderr],
      [1, `rollcall: session ${ids.b} has no running workflow (finished, or never started)\n`],
    );

    const badConfig = await rollcall({ ...env, TEMPORAL_UI_URL: 'not-a-url' }, 'status', ids.a);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /^rollcall: Invalid configuration:\n {2}TEMPORAL_UI_URL: expected an http\(s\) URL/);

    const usage = await rollcall(env, 'recalculate');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^rollcall: give either a session id or --since <days>/);

    const help = await rollcall(env, 'replay', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--workflows <path>/);
  });
});

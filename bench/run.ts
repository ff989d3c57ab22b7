/**
 * `npm run bench -- --scenario <name|all> [--target dev|cluster] [--runs N] [--quick] [--keep]`: runs benchmark
 * scenarios, each on a system of its own, writes .data/bench/<scenario>[-cluster].json and regenerates
 * .data/bench/SUMMARY.md. Not part of `npm test`: numbers need a quiet machine and minutes, not a pass/fail in CI.
 */
import { parseArgs } from 'node:util';
import { cleanUpOnExit } from '../test/support/kit/proc.js';
import { Progress } from './support/progress.js';
import { loadAverage, machine, writeResult, writeSummary } from './support/results.js';
import type { Scenario } from './support/scenario.js';
import type { TargetName } from './support/system.js';

/** Loaded on demand: a scenario imports only what it runs (the engine needs no Temporal, no API). */
const SCENARIOS: Record<string, () => Promise<Scenario>> = {
  ingest: () => import('./scenarios/ingest.js').then((m) => m.ingest),
  classroom: () => import('./scenarios/classroom.js').then((m) => m.classroom),
  webinar: () => import('./scenarios/webinar.js').then((m) => m.webinar),
  engine: () => import('./scenarios/engine.js').then((m) => m.engine),
  'report-sync': () => import('./scenarios/report-sync.js').then((m) => m.reportSync),
  'live-viewers': () => import('./scenarios/live-viewers.js').then((m) => m.liveViewers),
};

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', short: 's' },
    target: { type: 'string', default: 'dev' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'sqlite-pragma': { type: 'string', multiple: true },
    'dynamic-config': { type: 'string', multiple: true },
    /** Result file name instead of the scenario's: an experiment does not replace the reference figures. */
    'save-as': { type: 'string' },
  },
});

const names = Object.keys(SCENARIOS);
const chosen = values.scenario === 'all' ? names : names.filter((name) => name === values.scenario);
const target = values.target as TargetName;
const runsArg = values.runs === undefined ? undefined : Number(values.runs);
const pragmaArgs = values['sqlite-pragma'] ?? [];
const sqlitePragmas = pragmaArgs.length
  ? Object.fromEntries(pragmaArgs.map((arg) => arg.split('=', 2) as [string, string]))
  : undefined;
const configArgs = values['dynamic-config'] ?? [];
const dynamicConfig = configArgs.length
  ? Object.fromEntries(configArgs.map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]))
  : undefined;
if (
  chosen.length === 0 ||
  (target !== 'dev' && target !== 'cluster') ||
  (runsArg !== undefined && (!Number.isInteger(runsArg) || runsArg < 1)) ||
  pragmaArgs.some((arg) => !/^\w+=\w+$/.test(arg)) ||
  configArgs.some((arg) => !/^[\w.]+=.+$/.test(arg))
) {
  process.stderr.write(
    `usage: npm run bench -- --scenario <${[...names, 'all'].join('|')}> [--target dev|cluster (classroom)] [--runs N (default 3; webinar 1)] [--quick] [--keep] [--profile] [--sqlite-pragma journal_mode=WAL ...] [--dynamic-config history.maximumBufferedEventsBatch=1000 ...] [--save-as name]\n`,
  );
  process.exit(2);
}

// Whatever happens (a failure, Ctrl-C), no process the bench started outlives it.
cleanUpOnExit();

let failed = false;
for (const name of chosen) {
  const progress = new Progress(name);
  const started = Date.now();
  const host = machine();
  try {
    const scenario = await SCENARIOS[name]!();
    if (!(scenario.targets ?? ['dev']).includes(target))
      throw new Error(`${name} runs on ${(scenario.targets ?? ['dev']).join(', ')}, not on --target ${target}`);
    const runs = runsArg ?? scenario.defaultRuns ?? 3;
    const command = `npm run bench -- --scenario ${name}${target === 'dev' ? '' : ` --target ${target}`}${runsArg === undefined ? '' : ` --runs ${runs}`}${values.quick ? ' --quick' : ''}${pragmaArgs.map((arg) => ` --sqlite-pragma ${arg}`).join('')}${configArgs.map((arg) => ` --dynamic-config ${arg}`).join('')}${values['save-as'] ? ` --save-as ${values['save-as']}` : ''}`;
    progress.log(
      `${scenario.title} (${target === 'dev' ? 'dev stack' : 'cluster'}, ${runs} run${runs === 1 ? '' : 's'}${values.quick ? ', quick' : ''})`,
    );
    const result = await scenario.run({
      runs,
      quick: values.quick,
      keep: values.keep,
      profile: values.profile,
      progress,
      target,
      sqlitePragmas,
      dynamicConfig,
    });
    const durationS = Math.round((Date.now() - started) / 1000);
    const path = writeResult({
      scenario:
        chosen.length === 1 && values['save-as'] ? values['save-as'] : target === 'dev' ? name : `${name}-${target}`,
      title: scenario.title,
      command,
      measuredAt: new Date(started).toISOString(),
      durationS,
      quick: values.quick,
      machine: { ...host, loadAverageEnd: loadAverage() },
      ...result,
    });
    for (const target of result.targets)
      progress.log(
        `${target.met ? 'met   ' : 'MISSED'} ${target.name}: ${String(target.value)}${target.unit ? ` ${target.unit}` : ''} (target ${target.target})`,
      );
    progress.log(`done in ${durationS} s → ${path}`);
  } catch (error) {
    failed = true;
    progress.log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
process.stderr.write(`summary → ${writeSummary()}\n`);
process.exit(failed ? 1 : 0);

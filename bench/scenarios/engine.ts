/**
 * Engine: bench/engine.ts as it is (10,000 people × 6 events, attendance from scratch, 7 timed runs after a
 * warm-up), started as a fresh process per run so each run has its own JIT and heap. The median of its
 * medians is the figure; the runner then rewrites the raw engine.json with every run kept.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../../test/support/kit/proc.js';
import { RESULTS_DIR } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { median } from '../support/stats.js';

/** Attendance from scratch for 10,000 people × 6 events; presence of such a room when nothing changed. */
const TARGET_MS = 60;
const PRESENCE_TARGET_MS = 10;

interface EngineOutput {
  scenario: string;
  runs: number;
  medianMs: number;
  minMs: number;
  people: number;
  events: number;
  presence: {
    inRoom: number;
    afterChangeMedianMs: number;
    afterChangeMinMs: number;
    unchangedMedianMs: number;
    unchangedMinMs: number;
  };
  node: string;
}

function runEngineOnce(): Promise<EngineOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/engine.ts'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench/engine.ts exited with ${code}: ${stderr.slice(-2_000)}`));
      resolve(JSON.parse(readFileSync(`${RESULTS_DIR}engine.json`, 'utf8')) as EngineOutput);
    });
  });
}

export const engine: Scenario = {
  name: 'engine',
  title: 'Attendance engine from scratch (bench/engine.ts)',
  async run({ runs, progress }: ScenarioContext): Promise<ScenarioResult> {
    const outputs: EngineOutput[] = [];
    for (let run = 1; run <= runs; run++) {
      progress.update(`run ${run}/${runs}: node bench/engine.ts`, run - 1, runs);
      const output = await runEngineOnce();
      outputs.push(output);
      progress.log(
        `run ${run}: median ${output.medianMs} ms, min ${output.minMs} ms (${output.events} events, ${output.people} people); presence after a change ${output.presence.afterChangeMedianMs} ms, unchanged ${output.presence.unchangedMedianMs} ms`,
      );
    }
    const medianMs = median(outputs.map((o) => o.medianMs));
    const presenceChanged = median(outputs.map((o) => o.presence.afterChangeMedianMs));
    const presenceUnchanged = median(outputs.map((o) => o.presence.unchangedMedianMs));
    return {
      description: outputs[0]!.scenario,
      settings: { processes: runs, timedRunsPerProcess: outputs[0]!.runs, node: outputs[0]!.node },
      runs: outputs.map((o) => ({
        medianMs: o.medianMs,
        minMs: o.minMs,
        people: o.people,
        events: o.events,
        presence: o.presence,
      })),
      median: {
        medianMs,
        minMs: median(outputs.map((o) => o.minMs)),
        people: outputs[0]!.people,
        events: outputs[0]!.events,
        presenceAfterChangeMs: presenceChanged,
        presenceUnchangedMs: presenceUnchanged,
        inRoom: outputs[0]!.presence.inRoom,
      },
      targets: [
        {
          name: 'attendance from scratch, 10,000 people × 6 events',
          target: `≤ ${TARGET_MS} ms`,
          value: medianMs,
          unit: 'ms',
          met: medianMs <= TARGET_MS,
        },
        {
          name: `presence of the room (${outputs[0]!.presence.inRoom} in it), nothing changed`,
          target: `< ${PRESENCE_TARGET_MS} ms`,
          value: presenceUnchanged,
          unit: 'ms',
          met: presenceUnchanged < PRESENCE_TARGET_MS,
        },
        {
          name: 'presence of the room right after a change',
          target: '—',
          value: presenceChanged,
          unit: 'ms',
          met: true,
        },
      ],
      notes: [],
    };
  },
};

/**
 * Raw results: one JSON file per scenario and target in .data/bench/ (git-ignored: the figures worth keeping
 * are written up in docs/benchmarks.md and the README), and .data/bench/SUMMARY.md, regenerated from
 * whatever JSON files are there — so the summary always matches the JSON, whichever scenarios ran last.
 */
import { execSync } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult, Target } from './scenario.js';

export const RESULTS_DIR = fileURLToPath(new URL('../../.data/bench/', import.meta.url));

export interface ResultFile extends ScenarioResult {
  scenario: string;
  title: string;
  command: string;
  measuredAt: string;
  durationS: number;
  quick: boolean;
  machine: Machine;
}

interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** 1-minute load average when the scenario started and when it ended: how busy the shared machine was. */
  loadAverage: number;
  loadAverageEnd?: number;
  node: string;
  commit: string;
}

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    if (
      execSync('git status --porcelain', { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim()
    )
      commit += '+dirty';
  } catch {
    // not a git checkout
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadAverage(),
    node: process.version,
    commit,
  };
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export function writeResult(result: ResultFile): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${result.scenario}.json`;
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** bench/engine.ts writes its own shape (medianMs, minMs...); shown as is when the runner has not wrapped it. */
interface EngineOwnResult {
  scenario: string;
  runs: number;
  medianMs: number;
  minMs: number;
}

const cell = (value: unknown) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value));
const targetRow = (t: Target) =>
  `${t.name} | ${t.target} | ${cell(t.value)}${t.unit ? ` ${t.unit}` : ''} | ${t.met ? '✅ met' : '❌ missed'}`;

export function writeSummary(): string {
  const files = readdirSync(RESULTS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const lines = [
    '# Benchmark results',
    '',
    `Regenerated from .data/bench/*.json by \`npm run bench\` (free memory now ${Math.round(freemem() / 2 ** 30)} GiB). Medians over the runs listed.`,
    '',
  ];
  lines.push('| scenario | figure | target | median | |', '| --- | --- | --- | --- | --- |');
  const details: string[] = [];
  for (const name of files) {
    const data = JSON.parse(readFileSync(`${RESULTS_DIR}${name}`, 'utf8')) as Partial<ResultFile> &
      Partial<EngineOwnResult>;
    const scenario = name.replace(/\.json$/, '');
    if (Array.isArray(data.targets)) {
      for (const target of data.targets) lines.push(`| ${scenario} | ${targetRow(target)} |`);
      const r = data as ResultFile;
      details.push(
        `## ${scenario} — ${r.title}`,
        '',
        `\`${r.command}\` · ${r.measuredAt} · ${r.durationS} s · ${r.runs.length} runs${r.quick ? ' · QUICK (reduced sizes)' : ''} · ${r.machine.cpus} × ${r.machine.cpuModel}, load average ${r.machine.loadAverage} → ${r.machine.loadAverageEnd ?? '?'} · ${r.machine.commit}`,
        '',
        r.description,
        '',
        '```json',
        JSON.stringify(r.median, null, 1),
        '```',
        ...r.notes.map((note) => `- ${note}`),
        '',
      );
    } else if (typeof data.medianMs === 'number') {
      lines.push(
        `| ${scenario} | attendance from scratch (bench/engine.ts alone) | < 200 ms | ${data.medianMs} ms | ${data.medianMs < 200 ? '✅ met' : '❌ missed'} |`,
      );
    }
  }
  const text = `${[...lines, '', ...details].join('\n').trimEnd()}\n`;
  const path = `${RESULTS_DIR}SUMMARY.md`;
  writeFileSync(path, text);
  return path;
}

/** What every scenario module exports, and what the runner hands it. */
import type { Progress } from './progress.js';
import type { TargetName } from './system.js';

export interface ScenarioContext {
  /** Repetitions to take medians over (≥ 3 unless --runs says otherwise). */
  runs: number;
  /** Smaller sizes for a smoke run (`--quick`); results are marked as such. */
  quick: boolean;
  /** Keep temp dirs and logs after the run. */
  keep: boolean;
  /** CPU profiles of the worker and the API (kept in the cluster's temp dir). */
  profile: boolean;
  progress: Progress;
  /** `--target`: the dev stack (default) or the cluster topology. */
  target: TargetName;
  /** `--sqlite-pragma` overrides for the dev server (A/B measurements); undefined = what `npm start` uses. */
  sqlitePragmas?: Record<string, string>;
  /** `--dynamic-config` settings for the dev server (experiments). */
  dynamicConfig?: Record<string, string>;
}

/** A performance target, and whether the median met it. */
export interface Target {
  name: string;
  /** As written in the spec, e.g. "< 100 ms", "≥ 0.8". */
  target: string;
  value: number | boolean | string;
  unit?: string;
  met: boolean;
}

export interface ScenarioResult {
  /** What was run, in one sentence (sizes, rates). */
  description: string;
  /** Settings that shaped the numbers (worker options, pragmas, delays). */
  settings: Record<string, unknown>;
  runs: Array<Record<string, unknown>>;
  median: Record<string, unknown>;
  targets: Target[];
  /** Findings worth reading next to the numbers: what limits a missed target, with the evidence. */
  notes: string[];
}

export interface Scenario {
  name: string;
  title: string;
  /** Runs when --runs is not given: 3, unless one run alone already takes minutes (the webinar). */
  defaultRuns?: number;
  /** Targets the scenario can run on (default: the dev stack only). */
  targets?: TargetName[];
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

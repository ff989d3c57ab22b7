import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { ReplayWorkerOptions } from '@temporalio/worker';
import { Command } from 'commander';
import { pino } from 'pino';
import { createDataConverter } from '../../infra/payload-codec.js';
import { workflowUiUrl } from '../../infra/temporal-ui.js';
import { fetchRunHistories, historyFromJson, historyToJson, type WorkflowHistory } from '../../worker/replay.js';
import { workflowIdFor } from '../../workflows/types.js';
import { action, CliError, EXIT, say, type CliContext } from '../context.js';
import { iso } from '../format.js';

interface Options {
  historyFile?: string;
  workflows?: string;
  out?: string;
}

interface Run {
  label: string;
  workflowId: string;
  history: WorkflowHistory;
}

/** The code to replay against: `--workflows`, else what the worker runs (the prebuilt bundle when built, else src/workflows). */
async function replayTarget(
  workflows: string | undefined,
  ctx: CliContext,
): Promise<{ options: ReplayWorkerOptions; path: string }> {
  // The worker's data converter: large payloads in the history are compressed, and encrypted with
  // PAYLOAD_ENCRYPTION_KEY.
  const dataConverter = createDataConverter(ctx.config.payloadKeys);
  if (workflows) return { options: { workflowsPath: resolve(workflows), dataConverter }, path: resolve(workflows) };
  const { workflowSource } = await import('../../worker/worker.js');
  const source = workflowSource(undefined);
  return {
    options: { ...source, dataConverter },
    path: source.workflowBundle ? source.workflowBundle.codePath : source.workflowsPath,
  };
}

/** A session id or a workflow id: the session's workflow when there is one, else the id as given. */
async function runsOf(ctx: CliContext, id: string): Promise<Run[]> {
  for (const workflowId of [workflowIdFor(id), id]) {
    const runs = await ctx.call(60_000, `fetching the history of ${workflowId}`, () =>
      fetchRunHistories(ctx.temporal(), workflowId),
    );
    if (runs.length > 0) {
      say(`${workflowId}: ${runs.length} run(s), ${workflowUiUrl(ctx.config, workflowId)}`);
      return runs.map((run, index) => ({
        label: `run ${index + 1} ${run.runId} (started ${iso(run.startTime.getTime())})`,
        workflowId,
        history: run.history,
      }));
    }
  }
  throw new CliError(`no workflow runs found for ${id} (as session ${workflowIdFor(id)} or workflow ${id})`);
}

function fromFile(file: string): Run[] {
  const history = historyFromJson(readFileSync(file, 'utf8'));
  return [{ label: basename(file), workflowId: basename(file, '.json'), history }];
}

/** Keeps each run's history as a fixture file, in the form the replay test (test/fixtures/histories) loads. */
function save(dir: string, runs: Run[]): void {
  mkdirSync(dir, { recursive: true });
  runs.forEach((run, index) => {
    const file = join(dir, `${run.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}-run${index + 1}.json`);
    writeFileSync(file, historyToJson(run.history));
    say(`saved ${file}`);
  });
}

/** The SDK wraps core's verdict in a debug dump; keep the verdict ("[TMPRL1100] Nondeterminism error: ...") when it is there. */
const verdict = (error: Error) => `${error.name}: ${/message: "([^"]+)"/.exec(error.message)?.[1] ?? error.message}`;

async function replay(ctx: CliContext, id: string | undefined, options: Options, command: Command): Promise<number> {
  if ((id === undefined) === (options.historyFile === undefined))
    command.error('error: give either a session/workflow id or --history-file <file>', { exitCode: EXIT.usage });
  const runs = options.historyFile ? fromFile(options.historyFile) : await runsOf(ctx, id!);
  if (options.out) save(options.out, runs);
  const target = await replayTarget(options.workflows, ctx);
  say(`replaying against ${relative(process.cwd(), target.path)}`);
  // Loaded here, not at start-up: the SDK's native worker is the heaviest import, and only replay needs it.
  const [{ Worker }, { installRuntime }] = await Promise.all([
    import('@temporalio/worker'),
    import('../../worker/runtime.js'),
  ]);
  // The SDK's own logs (worker state changes, the failed task) would bury the verdict: errors only, on stderr.
  installRuntime(pino({ level: 'error', base: { component: 'replay' } }, pino.destination(2)));
  let failed = 0;
  let index = 0;
  for await (const result of Worker.runReplayHistories(target.options, runs)) {
    const run = runs[index++]!;
    if (result.error) failed += 1;
    say(result.error ? `FAILED  ${run.label}\n        ${verdict(result.error)}` : `OK      ${run.label}`);
  }
  say(
    failed
      ? `${failed} of ${runs.length} run(s) failed to replay on this workflow code`
      : `all ${runs.length} run(s) replay cleanly`,
  );
  return failed ? EXIT.failed : EXIT.ok;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      "replay a session's workflow history (every run of its chain, oldest first) against the current workflow code; exits 1 on non-determinism",
    )
    .argument('[id]', 'a session id, or a workflow id')
    .option('--history-file <file>', 'replay a saved history (as written by --out) instead of fetching one')
    .option('--workflows <path>', 'replay against this workflows entry file instead (e.g. a changed version)')
    .option(
      '--out <dir>',
      "also save each run's history there as a JSON fixture (test/fixtures/histories is replayed by npm test)",
    )
    .action(
      action((ctx, id: string | undefined, options: Options, command: Command) => replay(ctx, id, options, command)),
    );
}

/**
 * What `npm start` and `npm run cluster` run: the production build (`tsc -p tsconfig.build.json`, then the
 * prebuilt workflow bundle beside it), started with plain `node`. Built once per process that asks into
 * `.build-<pid>/` at the project's top, removed at exit: a sibling of `dist/` (which `npm start` owns and is
 * never touched), so the built files resolve the project's packages and find `migrations/` and `docker/` as
 * dist's do. Running the TypeScript through tsx instead adds ~45 MiB of loader to every process's RSS, and
 * memory is one of the benchmarks' figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflows } from '../../../src/worker/bundle.js';
import { PROJECT_ROOT } from './proc.js';

let build: Promise<string> | undefined;

/** The directory holding api/, worker/ and cluster/main.js (and workflow-bundle.js, which the worker loads). */
export function productionBuild(log: (line: string) => void): Promise<string> {
  build ??= (async () => {
    const outDir = join(PROJECT_ROOT, `.build-${process.pid}`);
    mkdirSync(outDir, { recursive: true });
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    const started = Date.now();
    const output = await compile(outDir);
    // tsc emits even when a file elsewhere does not type-check (a colleague's work in progress): go on if the entries
    // exist.
    for (const entry of ['api/main.js', 'worker/main.js', 'cluster/main.js']) {
      if (!existsSync(join(outDir, entry))) throw new Error(`the build produced no ${entry}:\n${output.slice(-3_000)}`);
    }
    if (output.trim()) log(`tsc reported (the build went on):\n${output.trim().split('\n').slice(0, 5).join('\n')}`);
    // Where the production worker looks for its bundle: ../workflow-bundle.js from worker/workflows-path.js.
    writeFileSync(join(outDir, 'workflow-bundle.js'), await bundleWorkflows());
    log(`production build and workflow bundle ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return outDir;
  })();
  return build;
}

function compile(outDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(output));
  });
}

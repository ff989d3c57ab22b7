/**
 * Child processes for the fault clusters (test/support/processes.ts) and the benchmarks (bench/support):
 * a restartable node child whose output goes straight to a log file (no piping through the parent, whose
 * CPU a benchmark measures apart), and the /proc helpers that find what a run left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../../src/infra/processes.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export { descendantsOf } from '../../src/infra/processes.js';

/** A process's command line, '' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

export interface ExitRecord {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The harness asked for it (stop, kill); anything else is a crash. */
  expected: boolean;
  at: number;
  /** The end of the process's output, for the post-mortem. */
  logTail: string;
}

export interface NodeServiceOptions {
  name: string;
  /** What follows `node`: flags (`--import tsx`, `--cpu-prof`...), then the entry script. */
  args: string[];
  env: () => NodeJS.ProcessEnv;
  /** Appended to across restarts; each start is marked in it. */
  logFile: string;
  /** True once the process serves; polled every 100 ms until then. */
  ready: (service: NodeService) => Promise<boolean>;
  /** Where start, kill and crash notices go (default: stderr). */
  say?: (line: string) => void;
}

/** A node child with its output appended to a log file; restartable any number of times. */
export class NodeService {
  private child?: ChildProcess;
  private expectingExit = false;
  /** Where the current process's output starts in the log file. */
  private logOffset = 0;
  readonly exits: ExitRecord[] = [];
  starts = 0;
  /** Called on every exit the harness did not ask for. */
  onCrash: (exit: ExitRecord) => void = () => undefined;

  constructor(private readonly options: NodeServiceOptions) {}

  get name(): string {
    return this.options.name;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Output of the current process (since its last start). */
  get log(): string {
    try {
      return readFileSync(this.logFile).subarray(this.logOffset).toString('utf8');
    } catch {
      return '';
    }
  }

  private say(line: string): void {
    (this.options.say ?? ((text: string) => process.stderr.write(`[cluster] ${text}\n`)))(line);
  }

  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const started = Date.now();
    this.expectingExit = false;
    this.starts += 1;
    appendFileSync(this.logFile, `\n==== ${this.name} start #${this.starts} at ${new Date().toISOString()}\n`);
    this.logOffset = statSync(this.logFile).size;
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, this.options.args, {
        cwd: PROJECT_ROOT,
        env: this.options.env(),
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    child.on('exit', (code, signal) => {
      const exit: ExitRecord = {
        name: this.name,
        pid: child.pid,
        code,
        signal,
        expected: this.expectingExit,
        at: Date.now(),
        logTail: this.log.slice(-4_000),
      };
      this.exits.push(exit);
      if (!exit.expected) {
        this.say(`${this.name} (pid ${child.pid}) CRASHED: code ${code}, signal ${signal}; log in ${this.logFile}`);
        this.onCrash(exit);
      }
    });
    const deadline = started + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${this.log.slice(-3_000)}`,
        );
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.name} did not become ready within ${timeoutMs / 1000} s:\n${this.log.slice(-3_000)}`);
      }
      if (await this.options.ready(this)) break;
      await sleep(100);
    }
    this.say(`${this.name} ready (pid ${child.pid}) in ${elapsed(started)}`);
  }

  /** kill -<signal>, then waits for the exit. SIGKILL by default: the crash a fault test wants. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.say(`${this.name} (pid ${child.pid}) killed with ${signal}`);
  }

  /** A graceful stop (SIGTERM, SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    await stopChild(child);
  }

  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.kill(signal);
    await this.start();
  }

  /** Exits the harness did not cause. */
  crashes(): ExitRecord[] {
    return this.exits.filter((exit) => !exit.expected);
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers a background process's CPU priority by `nice` (Config.backgroundNice): where the Temporal server and
 * the workers share a machine with the API, the API's acks come first. Best effort: a process that is already
 * gone, or a system that refuses, keeps its priority.
 */
export function lowerPriority(pid: number | undefined, nice: number): void {
  if (!pid || nice <= 0) return;
  try {
    setPriority(pid, nice);
  } catch {
    // the process exited already, or the system does not allow it: it runs at the normal priority
  }
}

/** Asks a child to stop (SIGTERM), and kills it if it has not exited within the grace period. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Every live descendant of `root` (children first), read from /proc; empty where there is no /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command (field 2) may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** SIGKILLs every descendant of this process still alive. */
export function killDescendants(): void {
  for (const pid of descendantsOf(process.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

let installed = false;

/**
 * A start-up that fails half-way, or a process that dies of an uncaught error, must not leave servers behind:
 * on exit, whatever this process still has as descendants is killed. A clean stop has stopped them already.
 */
export function killDescendantsOnExit(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killDescendants);
}

export interface ExitRecord {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Asked for (stop, kill); anything else is a crash. */
  expected: boolean;
  at: number;
  /** The end of the process's output, for the post-mortem. */
  logTail: string;
}

export interface ManagedChildOptions {
  name: string;
  command: string;
  args: string[];
  /** Read at every start, so a restart can see settings changed meanwhile. */
  env: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
  cwd?: string;
  /** Appended to across restarts; each start is marked in it. */
  logFile: string;
  /** True once the process serves; polled every 200 ms after each start (a throw counts as not yet). */
  ready: (child: ManagedChild) => Promise<boolean>;
  /** Run at a CPU priority this much lower (see `lowerPriority`); default 0, the same as this process. */
  nice?: number;
  /** Restart after an exit nobody asked for, as compose's `restart: unless-stopped` (default false). */
  restart?: boolean;
  say: (line: string) => void;
  /** Called after every (re)start, e.g. to rewrite a state file. */
  onStart?: () => void;
  /** Called on every exit nobody asked for, once the process had served. */
  onCrash?: (exit: ExitRecord) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A child process whose output goes straight to a log file (not piped through this process, whose CPU a
 * benchmark measures apart), started until ready, stopped or killed on request, and restartable any number
 * of times; every exit is recorded, and an exit nobody asked for is a crash.
 */
export class ManagedChild {
  private child?: ChildProcess;
  private expectingExit = false;
  private stopping = false;
  /** Where the current process's output starts in the log file. */
  private logOffset = 0;
  readonly exits: ExitRecord[] = [];
  starts = 0;
  /** Failures in a row (a crash within a minute of serving, a failed restart): the restart backs off. */
  private failures = 0;
  private servedAt = 0;

  constructor(readonly options: ManagedChildOptions) {}

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

  /** Exits nobody asked for. */
  crashes(): ExitRecord[] {
    return this.exits.filter((exit) => !exit.expected);
  }

  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { name, command, args, env, cwd, logFile } = this.options;
    const started = Date.now();
    this.expectingExit = false;
    this.stopping = false;
    this.starts += 1;
    appendFileSync(logFile, `\n==== ${name} start #${this.starts} at ${new Date().toISOString()}\n`);
    this.logOffset = statSync(logFile).size;
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: typeof env === 'function' ? env() : env, cwd, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    lowerPriority(child.pid, this.options.nice ?? 0);
    this.child = child;
    let served = false;
    child.on('exit', (code, signal) => {
      const exit: ExitRecord = {
        name,
        pid: child.pid,
        code,
        signal,
        expected: this.expectingExit,
        at: Date.now(),
        logTail: this.log.slice(-4_000),
      };
      this.exits.push(exit);
      // An exit during start-up is start()'s to report; a stopped process stays stopped.
      if (exit.expected || !served || this.child !== child) return;
      this.failures = Date.now() - this.servedAt > 60_000 ? 1 : this.failures + 1;
      this.options.say(
        `${name} (pid ${child.pid}) exited by itself (code ${code}, signal ${signal})${this.options.restart ? '; restarting it' : ''}; log: ${logFile}`,
      );
      this.options.onCrash?.(exit);
      if (this.options.restart) void this.restartAfterCrash();
    });
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); the end of ${logFile}:\n${this.log.slice(-3_000)}`,
        );
      }
      if (Date.now() - started > timeoutMs) {
        this.expectingExit = true;
        await stopChild(child, 2_000);
        throw new Error(
          `${name} did not become ready within ${timeoutMs / 1000} s; the end of ${logFile}:\n${this.log.slice(-3_000)}`,
        );
      }
      if (await this.options.ready(this).catch(() => false)) break;
      await sleep(200);
    }
    served = true;
    this.servedAt = Date.now();
    this.options.say(`${name} ready (pid ${child.pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    this.options.onStart?.();
  }

  /** 1 s after a crash, doubling per failure in a row up to 30 s: a process that cannot start does not spin. */
  private async restartAfterCrash(): Promise<void> {
    await sleep(Math.min(30_000, 1_000 * 2 ** Math.max(0, this.failures - 1)));
    if (this.stopping || this.running) return;
    try {
      await this.start();
    } catch (error) {
      this.failures += 1;
      this.options.say(
        `${this.name} could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!this.stopping) void this.restartAfterCrash();
    }
  }

  /** kill -<signal> and wait for the exit; no restart follows. SIGKILL by default: the crash a fault test wants. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.options.say(`${this.name} (pid ${child.pid}) killed with ${signal}`);
  }

  /** SIGTERM, SIGKILL after the grace period; no restart follows. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.expectingExit = true;
    if (this.child && this.running) await stopChild(this.child, graceMs);
  }
}

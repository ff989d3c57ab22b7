/**
 * The worker and the API as child processes (`node <built entry>`), as `npm start` runs them: their CPU and
 * memory are their own, so RSS can be read per process, and the load generator does not share their event
 * loop. Output goes straight to a log file (no piping through the bench process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../../src/infra/processes.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NodeChild {
  private child?: ChildProcess;
  private stopping = false;
  /** Set when the process exited without being asked to: a crash, with its code or signal and when. */
  crash?: { code: number | null; signal: string | null; at: string };

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    /** Extra node flags, e.g. --cpu-prof (which NODE_OPTIONS refuses). */
    private readonly nodeArgs: string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Spawns the process and polls `ready` every 100 ms; fails fast when the process exits during start-up. */
  async start(ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(process.execPath, [...this.nodeArgs, this.entry], { cwd: PROJECT_ROOT, env: this.env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.child.on('exit', (code, signal) => {
      if (!this.stopping) this.crash = { code, signal, at: new Date().toISOString() };
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.log().slice(-3_000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs / 1000} s:\n${this.log().slice(-3_000)}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child && this.running) await stopChild(this.child);
  }
}

/** Resident set size of a process in MiB (VmRSS), or undefined once it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process and its reaped children have used so far, in seconds, from
 * /proc/<pid>/stat. Children count so that PostgreSQL's backends, which come and go with connections, stay in
 * the postmaster's total after they exit.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of stat, i.e. 11-14 after the command; in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** Every pid below `root` (children, grandchildren...), from /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
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

/** A process's command line, '' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/**
 * What the kit reads about processes from /proc (command lines, memory, CPU time), and the safety net that
 * leaves no process behind when a test or benchmark process ends however it ends.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { descendantsOf, killDescendants } from '../../../src/infra/processes.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** A process's command line, '' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
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

/** PostgreSQL's postmaster and its backends (`postgres: walwriter`, one per connection) among `pids`. */
export function postgresPids(pids: number[]): number[] {
  return pids.filter((pid) => {
    const cmd = commandOf(pid);
    return /(^|\/)postgres( |$)/.test(cmd) || cmd.startsWith('postgres:');
  });
}

/**
 * SIGKILLs what this process still has as descendants once everything it started was asked to stop, and
 * returns them (`pid command`) for the report. tsx's own esbuild service belongs to this process, not to a stack.
 */
export function killLeftovers(): string[] {
  const left = descendantsOf(process.pid)
    .map((pid) => ({ pid, cmd: commandOf(pid) }))
    .filter(({ cmd }) => cmd.length > 0 && !cmd.includes('esbuild'));
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.map(({ pid, cmd }) => `${pid} ${cmd}`);
}

let installed = false;
const onExit: Array<() => void> = [];

/**
 * On exit, however it happens (a failure, a timeout, Ctrl-C), SIGKILL every descendant still alive and run
 * `also` (e.g. remove scratch directories): no test or benchmark leaves processes behind.
 */
export function cleanUpOnExit(also?: () => void): void {
  if (also) onExit.push(also);
  if (installed) return;
  installed = true;
  const cleanUp = () => {
    killDescendants();
    for (const run of onExit) run();
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
}

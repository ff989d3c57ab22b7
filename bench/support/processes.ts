/** What the benchmarks read about their processes from /proc: memory and CPU time. */
import { readFileSync } from 'node:fs';

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

/**
 * The supervisor's child processes: output appended to a log file per process, an optional restart when one
 * exits on its own (as compose's `restart: unless-stopped`), and the current pid for the state file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { stopChild } from '../infra/processes.js';

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** True once the process serves; polled every 200 ms after each start. */
  ready: () => Promise<boolean>;
  /** Restart after an exit nobody asked for (default false). */
  restart?: boolean;
  say: (line: string) => void;
  /** Called after every (re)start, e.g. to rewrite the state file. */
  onStart?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ClusterChild {
  private child?: ChildProcess;
  private stopping = false;
  private logOffset = 0;
  starts = 0;
  /** Unplanned exits so far. */
  crashes = 0;
  /** Failures in a row (a crash within a minute of serving, a failed restart): the restart backs off. */
  private failures = 0;
  private servedAt = 0;

  constructor(readonly options: ChildOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Output since the last start. */
  tail(chars = 3_000): string {
    try {
      return readFileSync(this.options.logFile).subarray(this.logOffset).toString('utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  async start(timeoutMs = 120_000): Promise<void> {
    const { name, command, args, env, cwd, logFile } = this.options;
    const started = Date.now();
    this.starts += 1;
    const fd = openSync(logFile, 'a');
    this.logOffset = statSync(logFile).size;
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    let served = false;
    child.on('exit', (code, signal) => {
      // An exit during start-up is start()'s to report; a stopped process stays stopped.
      if (this.stopping || this.child !== child || !served) return;
      this.crashes += 1;
      this.failures = Date.now() - this.servedAt > 60_000 ? 1 : this.failures + 1;
      this.options.say(
        `${name} (pid ${child.pid}) exited (code ${code}, signal ${signal})${this.options.restart ? '; restarting it' : ''}; log: ${logFile}`,
      );
      if (this.options.restart) void this.restartAfterCrash();
    });
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); the end of ${logFile}:\n${this.tail()}`,
        );
      }
      if (Date.now() - started > timeoutMs) {
        await stopChild(child, 2_000);
        throw new Error(
          `${name} did not become ready within ${timeoutMs / 1000} s; the end of ${logFile}:\n${this.tail()}`,
        );
      }
      if (await this.options.ready().catch(() => false)) break;
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

  /** SIGTERM, SIGKILL after the grace period; no restart. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.child && this.running) await stopChild(this.child, graceMs);
  }
}

/**
 * One status line, rewritten in place on a terminal (`\r`), or printed every few seconds when stderr is a
 * file or a CI log, so a long scenario always shows what it is doing and how far it is.
 */
const FILE_INTERVAL_MS = 5_000;

export class Progress {
  private last = '';
  private printedAt = 0;
  private readonly tty = process.stderr.isTTY === true;
  /** When each label was first shown, for its rate. */
  private readonly since = new Map<string, number>();

  constructor(private readonly prefix: string) {}

  /** `[scenario] label ███████░░░ 70% detail` — done/total may be omitted for a plain status. */
  update(label: string, done?: number, total?: number, detail = ''): void {
    const now = Date.now();
    if (!this.since.has(label)) this.since.set(label, now);
    const seconds = (now - this.since.get(label)!) / 1000;
    const rate = done !== undefined && seconds >= 1 ? ` ${Math.round(done / seconds)}/s` : '';
    const bar = total
      ? ` ${barOf(Math.min(1, (done ?? 0) / total))} ${Math.floor(((done ?? 0) / total) * 100)}% (${done ?? 0}/${total}${rate})`
      : '';
    const line = `[${this.prefix}] ${label}${bar}${detail ? ` ${detail}` : ''}`;
    if (line === this.last) return;
    this.last = line;
    if (this.tty) {
      const width = process.stderr.columns ?? 120;
      process.stderr.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
    } else if (now - this.printedAt >= FILE_INTERVAL_MS) {
      this.printedAt = now;
      process.stderr.write(`${line}\n`);
    }
  }

  /** A line that stays (a finished step, a measured figure). */
  log(line: string): void {
    if (this.tty) process.stderr.write(`\r${' '.repeat((process.stderr.columns ?? 120) - 1)}\r`);
    process.stderr.write(`[${this.prefix}] ${line}\n`);
    this.last = '';
  }
}

function barOf(fraction: number, width = 20): string {
  const full = Math.round(fraction * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/**
 * One line of status for long work, on stderr so stdout stays the results: redrawn in place on a terminal;
 * elsewhere (pipes, CI logs) printed as a new line at most every `everyMs`.
 */
export class StatusLine {
  private lastShown = 0;
  private readonly tty = process.stderr.isTTY;

  constructor(private readonly everyMs = 5_000) {}

  show(text: string, force = false): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
    } else if (force || Date.now() - this.lastShown >= this.everyMs) {
      this.lastShown = Date.now();
      process.stderr.write(`${text}\n`);
    }
  }

  /** Prints a result line on stdout without tearing the status line. */
  print(line: string, current?: string): void {
    this.clear();
    process.stdout.write(`${line}\n`);
    if (this.tty && current) this.show(current);
  }

  clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }
}

/** `label done/total, n failed, rate/s, eta` over a known number of items. */
export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private readonly line = new StatusLine();

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  log(text: string): void {
    this.line.print(text, this.text());
  }

  tick(ok: boolean): void {
    this.done += 1;
    if (!ok) this.failed += 1;
    this.line.show(this.text(), this.done === this.total);
  }

  /** Removes the status line; the caller prints its summary. */
  finish(): { failed: number; seconds: number } {
    this.line.clear();
    return { failed: this.failed, seconds: (Date.now() - this.started) / 1000 };
  }

  private text(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const eta = rate > 0 ? `, eta ${Math.ceil((this.total - this.done) / rate)} s` : '';
    const failed = this.failed ? `, ${this.failed} failed` : '';
    return `${this.label} ${this.done}/${this.total}${failed}, ${rate.toFixed(1)}/s${eta}`;
  }
}

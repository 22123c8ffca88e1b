// A progress bar for long work (training, downloads), shared by every package that has some.

export interface ProgressOptions {
  /** Amount of work (bytes, batches); 0 or undefined when unknown. */
  total?: number;
  /** Text before the bar. */
  label?: string;
  /** Where to write; process.stderr by default. */
  stream?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Format amounts as bytes (KiB, MiB, GiB). */
  bytes?: boolean;
  /** Without a terminal, print a line this often. Default 10 s. */
  lineEverySeconds?: number;
  /** Print nothing. */
  silent?: boolean;
}

type Stream = NonNullable<ProgressOptions['stream']>;

/** Node's stderr, or null in a browser (core is typed without Node's globals). */
function nodeStderr(): Stream | null {
  return (globalThis as { process?: { stderr?: Stream } }).process?.stderr ?? null;
}

/** `n` bytes for people: "512 B", "1.5 KiB", "12.3 MiB", "1.25 GiB". */
export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * A progress bar on stderr: one line updated in place on a terminal, a line every
 * `lineEverySeconds` (and at the end) otherwise, so logs stay readable.
 *
 * @example
 * ```ts
 * const bar = new tl.ProgressBar({ total: steps, label: 'training' });
 * for (let step = 1; step <= steps; step++) bar.update(step, `loss ${(await trainStep()).toFixed(3)}`);
 * bar.finish();
 * ```
 */
export class ProgressBar {
  readonly total: number;
  readonly label: string;
  private readonly stream: Stream | null;
  private readonly tty: boolean;
  private readonly bytes: boolean;
  private readonly lineEvery: number;
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLine = 0;
  private done = 0;
  private finished = false;

  constructor(options: ProgressOptions = {}) {
    this.total = options.total ?? 0;
    this.label = options.label ?? '';
    const stream = options.silent ? null : (options.stream ?? nodeStderr());
    this.stream = stream;
    this.tty = Boolean(stream?.isTTY);
    this.bytes = options.bytes ?? false;
    this.lineEvery = (options.lineEverySeconds ?? 10) * 1000;
    this.lastLine = this.start;
  }

  /** Seconds since the bar was made. */
  get elapsed(): number {
    return (Date.now() - this.start) / 1000;
  }

  private amount(n: number): string {
    return this.bytes ? formatBytes(n) : String(n);
  }

  private render(extra: string): string {
    const parts = [this.label];
    if (this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
      parts.push(`${this.amount(this.done)}/${this.amount(this.total)}`);
    } else {
      parts.push(this.amount(this.done));
    }
    parts.push(`${this.elapsed.toFixed(1)}s`);
    if (extra) parts.push(extra);
    return parts.filter(Boolean).join(' ');
  }

  /** Record progress (`done` units so far) and redraw when due; `extra` is appended (e.g. the loss). */
  update(done: number, extra = ''): void {
    this.done = done;
    if (!this.stream || this.finished) return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100) return;
      this.lastDraw = now;
      let line = this.render(extra);
      const columns = this.stream.columns ?? 0;
      if (columns > 10 && line.length >= columns) line = line.slice(0, columns - 1);
      this.stream.write(`\r${line}\x1b[K`);
    } else if (now - this.lastLine >= this.lineEvery) {
      this.lastLine = now;
      this.stream.write(`${this.render(extra)}\n`);
    }
  }

  /** Draw the final state and end the line. */
  finish(extra = ''): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.stream) return;
    this.stream.write(this.tty ? `\r${this.render(extra)}\x1b[K\n` : `${this.render(extra)}\n`);
  }
}

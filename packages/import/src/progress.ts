import cliProgress from 'cli-progress';

/** Progress of one input: a bar with lines/s and ETA on a terminal, a plain line every few seconds otherwise. */
export interface Progress {
  start(label: string, totalBytes: number | undefined, startBytes: number): void;
  update(lines: number, inputBytes: number): void;
  stop(): void;
  /** A message that must not be torn by the bar. */
  log(message: string): void;
}

function rate(lines: number, since: number): number {
  const seconds = (performance.now() - since) / 1000;
  return seconds > 0 ? Math.round(lines / seconds) : 0;
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | undefined;
  private since = 0;
  private firstLines: number | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, totalBytes: number | undefined, startBytes: number): void {
    this.since = performance.now();
    this.firstLines = undefined;
    // Without a size (stdin, --follow) there is no bar and no ETA, only the counts.
    const format = totalBytes === undefined
      ? `${label} | {lines} lines | {rate} lines/s`
      : `${label} [{bar}] {percentage}% | {lines} lines | {rate} lines/s | ETA {eta_formatted}`;
    this.bar = new cliProgress.SingleBar({ format, stream: this.stream, hideCursor: true, etaBuffer: 50, fps: 5, clearOnComplete: false }, cliProgress.Presets.shades_classic);
    this.bar.start(totalBytes ?? 0, startBytes, { lines: 0, rate: 0 });
  }

  update(lines: number, inputBytes: number): void {
    this.firstLines ??= lines;
    this.bar?.update(inputBytes, { lines, rate: rate(lines - this.firstLines, this.since) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  log(message: string): void {
    // Clears the bar's line first; the bar draws itself again below the message at its next update.
    this.stream.write(this.bar === undefined ? `${message}\n` : `\r\x1b[K${message}\n`);
  }
}

class LineProgress implements Progress {
  private label = '';
  private total: number | undefined;
  private since = 0;
  private last = 0;

  constructor(private readonly write: (text: string) => void, private readonly everyMs: number) {}

  start(label: string, totalBytes: number | undefined): void {
    this.label = label;
    this.total = totalBytes;
    this.since = performance.now();
    this.last = this.since;
  }

  update(lines: number, inputBytes: number): void {
    const now = performance.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    const share = this.total === undefined || this.total === 0 ? '' : `, ${Math.floor((inputBytes / this.total) * 100)}%`;
    this.write(`${this.label}: ${lines} lines (${rate(lines, this.since)} lines/s${share})\n`);
  }

  stop(): void {
    this.last = 0;
  }

  log(message: string): void {
    this.write(`${message}\n`);
  }
}

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean, everyMs = 10_000): Progress {
  if (enabled && stream.isTTY) return new BarProgress(stream);
  return new LineProgress((text) => (enabled ? stream.write(text) : undefined), everyMs);
}

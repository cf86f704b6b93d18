import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokumeiError } from '@tokumei/errors';
import { Checkpoint } from './checkpoint.js';
import { BotDetector } from './filters.js';
import type { LineFormat } from './formats.js';
import { emptyCounts, importInput, type ImportCounts, type ImportOptions, type Retention } from './importer.js';
import { isGzip } from './lines.js';
import type { Progress } from './progress.js';
import { SessionAssigner } from './sessions.js';
import type { RecordSink } from './sink.js';

export interface ImportRequest {
  /** Paths, or `-` for standard input. */
  readonly inputs: readonly string[];
  readonly format: LineFormat;
  /** What decides which lines become which records: a checkpoint made with other settings is refused. */
  readonly settings: { readonly format: string; readonly site: string | undefined; readonly tz: string };
  readonly follow: boolean;
  readonly restart: boolean;
  readonly dataDir: string;
  readonly sink: RecordSink;
  readonly batchSize: number;
  /** The store's retention (the config's): lines it would drop on insert are reported as such, not as page views. */
  readonly retention: Retention;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  readonly stdin: Readable;
}

export interface InputResult {
  readonly label: string;
  readonly counts: ImportCounts;
  readonly seconds: number;
  /** Line number the import of this input continued after (0: from the start). */
  readonly resumedAfterLine: number;
}

export interface ImportOutcome {
  readonly run: string;
  readonly inputs: readonly InputResult[];
  readonly interrupted: boolean;
  readonly saltsDestroyed: number;
}

/**
 * Imports every input in order through one sink, with one run id (its salts cover the days the salt store no longer
 * keeps) and one session assigner, then ends the run: waits for the worker and destroys the run's salts.
 */
export async function runImport(request: ImportRequest): Promise<ImportOutcome> {
  const run = randomBytes(8).toString('hex');
  const fingerprint = createHash('sha256').update(JSON.stringify(request.settings)).digest('hex').slice(0, 16);
  const base = { format: request.format, site: request.settings.site, run, batchSize: request.batchSize, signal: request.signal, sessions: new SessionAssigner(), bots: new BotDetector(), sink: request.sink, retention: request.retention };
  const results: InputResult[] = [];
  let failure: unknown;
  try {
    for (const input of request.inputs) {
      if (request.signal.aborted) break;
      if (input === '-') results.push(await importStdin(request, { ...base, follow: false, counts: emptyCounts() }));
      else {
        let restart = request.restart;
        // Following: when the file is rotated or truncated, the path is opened again as a new file.
        do {
          results.push(await importFile(input, request, { ...base, follow: request.follow, counts: emptyCounts() }, fingerprint, restart));
          restart = false;
        } while (request.follow && !request.signal.aborted && await waitForFile(input, request.signal));
      }
    }
  } catch (error) {
    failure = error;
  }
  // Ends the run whatever happened: what was sent is stored or lost, and either way the run's salts must go.
  const { saltsDestroyed } = await request.sink.finish(run).catch((error: unknown) => {
    failure ??= error;
    return { saltsDestroyed: 0 };
  });
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('import failed', { cause: failure });
  return { run, inputs: results, interrupted: request.signal.aborted, saltsDestroyed };
}

async function importStdin(request: ImportRequest, options: ImportOptions): Promise<InputResult> {
  const started = performance.now();
  request.progress.start('stdin', undefined, 0);
  try {
    // Standard input cannot be read again, so it has no checkpoint: its stream is new for every run.
    await importInput({ kind: 'stream', stream: request.stdin }, { stream: `import.stdin-${options.run}`, offset: 0, line: 0, seq: 0 }, {
      ...options, onProgress: () => request.progress.update(options.counts.lines, 0),
    });
  } finally {
    request.progress.stop();
  }
  return { label: 'stdin', counts: options.counts, seconds: (performance.now() - started) / 1000, resumedAfterLine: 0 };
}

async function importFile(file: string, request: ImportRequest, options: ImportOptions, fingerprint: string, restart: boolean): Promise<InputResult> {
  const label = path.basename(file);
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new TokumeiError('TKM_IMPORT_INPUT', `${file} is not a regular file`);
    size = stat.size;
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    if (error instanceof TokumeiError) throw error;
    throw new TokumeiError('TKM_IMPORT_INPUT', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const gzip = isGzip(file);
  const checkpoint = Checkpoint.open(request.dataDir, file, fingerprint, restart);
  const started = performance.now();
  const from = checkpoint.state;
  try {
    request.progress.start(label, request.follow && !gzip ? undefined : size, gzip ? 0 : from.offset);
    await importInput({ kind: 'file', path: file, gzip }, from, {
      ...options,
      follow: options.follow && !gzip,
      save: (position) => checkpoint.save(position),
      onProgress: (bytes) => request.progress.update(options.counts.lines, bytes),
    });
  } finally {
    request.progress.stop();
    checkpoint.release();
  }
  return { label, counts: options.counts, seconds: (performance.now() - started) / 1000, resumedAfterLine: from.line };
}

/** After a rotation, waits until the path exists again; false when stopped first. */
async function waitForFile(file: string, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (fs.existsSync(file)) return true;
    await sleep(500, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

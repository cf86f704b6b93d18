import { RAW_RECORD_VERSION, encodeRawRecord, partitionKey, type RawRecord } from '@tokumei/schema';
import { classify, type BotDetector } from './filters.js';
import { isBad, type LineFormat, type ParsedLine } from './formats.js';
import { HeapBudget } from './heap.js';
import { readLines, type LineInput } from './lines.js';
import type { SessionAssigner } from './sessions.js';
import type { RecordSink, SinkMessage } from './sink.js';

/** Bad lines reported one by one; past this only the count per reason. */
export const MAX_REPORTED_BAD_LINES = 20;

export interface ImportCounts {
  lines: number;
  pageviews: number;
  /** Sent to the worker, which counts them per day in bots_daily and stores no event. */
  bots: number;
  /** `future`: later than now + FUTURE_TOLERANCE_MS; `retention`: page views and bots older than the aggregates keep. */
  skipped: { status: number; method: number; asset: number; empty: number; future: number; retention: number };
  /**
   * Page views (among `pageviews`) of days older than the events retention: ClickHouse drops a row whose TTL is over
   * as it is inserted, so only the aggregates count them (page views, visitors, pages, referrers…), with no event
   * and no per-session row (so no session metrics for those days).
   */
  aggregatesOnly: number;
  /** Sessions ended early to bound memory (more than MAX_OPEN_SESSIONS open): a client's next line starts another. */
  sessionsEvicted: number;
  bad: number;
  /** Line number and reason, never the line's text (it holds an IP). */
  badLines: { line: number; reason: string }[];
  badReasons: Record<string, number>;
}

export function emptyCounts(): ImportCounts {
  return {
    lines: 0, pageviews: 0, bots: 0, skipped: { status: 0, method: 0, asset: 0, empty: 0, future: 0, retention: 0 },
    aggregatesOnly: 0, sessionsEvicted: 0, bad: 0, badLines: [], badReasons: {},
  };
}

/** How long ClickHouse keeps what (TOKUMEI_EVENTS_TTL_DAYS, TOKUMEI_AGGREGATES_TTL_MONTHS). */
export interface Retention {
  readonly eventsTtlDays: number;
  readonly aggregatesTtlMonths: number;
}

/**
 * Lines up to this far ahead of the importer's clock are taken (clock skew between the web server and this machine);
 * later ones are skipped. Matomo refuses any tracking time after its own clock; five minutes spares a skewed clock.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface Position {
  readonly stream: string;
  readonly offset: number;
  readonly line: number;
  readonly seq: number;
}

export interface ImportOptions {
  readonly format: LineFormat;
  /** Site for every line; without it, the line's host field. */
  readonly site: string | undefined;
  readonly run: string;
  readonly batchSize: number;
  readonly follow: boolean;
  readonly signal: AbortSignal | undefined;
  readonly sessions: SessionAssigner;
  readonly bots: BotDetector;
  readonly sink: RecordSink;
  readonly counts: ImportCounts;
  /** Where the store keeps rows: lines it would drop on insert are counted as such. Unset: not checked. */
  readonly retention?: Retention;
  /** The clock lines are compared with (tests). */
  readonly now?: () => number;
  /** Called after each stored batch: the position from which a new run would continue. */
  readonly save?: (position: Position) => void;
  readonly onProgress?: (inputBytes: number) => void;
}

interface Pending extends SinkMessage {
  readonly end: number;
  readonly line: number;
}

const MAX_URL = 8192;

/**
 * A batch is also sent once its records reach this many bytes: 20,000 records are 8 MB with usual agents, but 26 MB
 * with 1 KiB ones, and each batch is held several times over while it is sent and stored (records, request body,
 * decoded rows, the insert).
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const HOUR_MS = 3_600_000;
/** One per process: the heap is. */
const heap = new HeapBudget();
const DAY_MS = 86_400_000;

/** `ms` plus calendar months, clamped to the target month's last day, as ClickHouse's `+ toIntervalMonth(n)` is. */
function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const [year, month] = [d.getUTCFullYear(), d.getUTCMonth() + months];
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
}

/** Where a line stands against the store's TTLs. Expired means `TTL expression <= now`, as ClickHouse has it. */
type Age = 'future' | 'expired' | 'aggregates-only' | 'kept';

/** Classifies lines by time against one `now` (taken per batch of lines: a followed file runs for days). */
class AgeCheck {
  private readonly future: number;
  private lastHour = Number.NaN;
  private lastHourExpired = false;

  constructor(private readonly now: number, private readonly retention: Retention | undefined) {
    this.future = now + FUTURE_TOLERANCE_MS;
  }

  of(ts: number): Age {
    if (ts > this.future) return 'future';
    if (this.retention === undefined) return 'kept';
    // The hourly aggregates (`hour + N months`) are the first to drop a line; daily ones keep it up to a day more.
    const hour = Math.floor(ts / HOUR_MS) * HOUR_MS;
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.lastHourExpired = addMonths(hour, this.retention.aggregatesTtlMonths) <= this.now;
    }
    if (this.lastHourExpired) return 'expired';
    // Per-session rows expire by day (`day + N days`), events by `ts` within that day.
    return Math.floor(ts / DAY_MS) * DAY_MS + this.retention.eventsTtlDays * DAY_MS <= this.now ? 'aggregates-only' : 'kept';
  }
}

function bad(counts: ImportCounts, line: number, reason: string): void {
  counts.bad += 1;
  counts.badReasons[reason] = (counts.badReasons[reason] ?? 0) + 1;
  if (counts.badLines.length < MAX_REPORTED_BAD_LINES) counts.badLines.push({ line, reason });
}

/** The raw record of a page view (or of a bot's request, with no address: the worker only counts those). */
function toRecord(parsed: ParsedLine, options: ImportOptions, bot: boolean): RawRecord | string {
  const site = options.site ?? parsed.host;
  if (site === undefined) return 'no host in the line (give --site)';
  if (site.length > 255) return 'host longer than 255 characters';
  const target = parsed.target;
  let url: string;
  if (target.startsWith('/')) url = `${parsed.scheme === 'http' ? 'http' : 'https'}://${parsed.host ?? site}${target}`;
  else if (/^https?:\/\//i.test(target)) url = target;
  else return 'request target is not a path';
  if (url.length > MAX_URL) return 'URL longer than 8192 characters';
  if (parsed.ip.length > 64) return 'client address longer than 64 characters';
  const ua = parsed.ua;
  const ref = parsed.referrer !== undefined && parsed.referrer.length <= MAX_URL ? parsed.referrer : undefined;
  return {
    v: RAW_RECORD_VERSION, src: 'log', ts: parsed.ts, site, url, ref, event: 'pageview',
    // A bot's address and session are of no use to the worker, so they never reach the bus.
    sid: bot ? undefined : options.sessions.sid(site, parsed.ip, ua, parsed.ts),
    ip: bot ? '' : parsed.ip, ua, dnt: false, gpc: false, run: options.run,
  };
}

/**
 * Reads one input from `from`, turns its page views into raw records and sends them in batches, saving the position
 * after each stored batch. Returns false when stopped by the signal (what was read is stored and saved).
 */
export async function importInput(input: LineInput, from: Position, options: ImportOptions): Promise<boolean> {
  const { counts, sink } = options;
  let line = from.line;
  let lastEnd = from.offset;
  let pending: Pending[] = [];
  let pendingBytes = 0;
  /** Number of the first record not yet durable; records are numbered by their order in the file. */
  let committed = from.seq;
  /** Sent but held back by the worker (part of a range an earlier attempt recorded): sent again first. */
  let carry: Pending[] = [];
  let inFlight: Promise<void> = Promise.resolve();

  const send = async (batch: Pending[], end: number, endLine: number): Promise<void> => {
    const messages = carry.length === 0 ? batch : [...carry, ...batch];
    if (messages.length > 0) {
      const first = committed;
      committed = await sink.send(from.stream, first, messages);
      carry = messages.slice(committed - first);
    }
    const last = carry.length === 0 ? { end, line: endLine } : messages[messages.length - carry.length - 1];
    if (last !== undefined) options.save?.({ stream: from.stream, offset: last.end, line: last.line, seq: committed });
  };
  // One batch is stored while the next is parsed: ClickHouse works off the main thread, so the two overlap.
  // Sends stay strictly in order (the worker handles one stream's batches one after another).
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    const [end, endLine] = [lastEnd, line];
    if (batch.length > 0 && carry.length === 0) sink.prepare?.(batch);
    await inFlight;
    // The batch just stored is garbage now: the moment to collect it, if the heap grew past its budget.
    heap.check();
    inFlight = send(batch, end, endLine);
    inFlight.catch(() => undefined);
  };

  const clock = options.now ?? Date.now;
  const evictedBefore = options.sessions.evicted;
  for await (const batch of readLines(input, { start: from.offset, follow: options.follow, signal: options.signal })) {
    const ages = new AgeCheck(clock(), options.retention);
    for (let i = 0; i < batch.lines.length; i += 1) {
      line += 1;
      counts.lines += 1;
      const text = batch.lines[i];
      lastEnd = batch.ends[i] ?? lastEnd;
      if (text === undefined) {
        bad(counts, line, 'longer than 64 KiB');
        continue;
      }
      if (text.trim() === '') {
        counts.skipped.empty += 1;
        continue;
      }
      const parsed = options.format.parse(text);
      if (isBad(parsed)) {
        bad(counts, line, parsed.bad);
        continue;
      }
      const skip = classify(parsed, options.bots);
      if (skip !== undefined && skip !== 'bot') {
        counts.skipped[skip] += 1;
        continue;
      }
      // After the kind of line: "older than retention" then counts only what would have been page views and bots.
      const age = ages.of(parsed.ts);
      if (age === 'future' || age === 'expired') {
        counts.skipped[age === 'future' ? 'future' : 'retention'] += 1;
        continue;
      }
      const record = toRecord(parsed, options, skip === 'bot');
      if (typeof record === 'string') {
        bad(counts, line, record);
        continue;
      }
      if (skip === 'bot') counts.bots += 1;
      else {
        counts.pageviews += 1;
        if (age === 'aggregates-only') counts.aggregatesOnly += 1;
      }
      const value = encodeRawRecord(record);
      pending.push({ key: sink.keyed ? partitionKey(record) : '', value, end: lastEnd, line });
      pendingBytes += value.length;
      if (pending.length >= options.batchSize || pendingBytes >= MAX_BATCH_BYTES) await flush();
    }
    // The assigner is shared by a run's inputs: this input's share is what it added.
    counts.sessionsEvicted = options.sessions.evicted - evictedBefore;
    options.onProgress?.(batch.inputBytes);
    if (batch.idle === true) await flush();
    if (options.signal?.aborted === true) break;
  }
  await flush();
  await inFlight;
  if (carry.length > 0) throw new Error(`${carry.length} records could not be stored`);
  return options.signal?.aborted !== true;
}

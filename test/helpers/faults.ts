/**
 * For fault tests: an open-loop stream of numbered beacons (so a stall shows up as 503s, not as a client that
 * politely waits), the worker group's progress on the raw topic, and which numbered beacons ended up stored.
 */
import { Kafka, logLevel } from 'kafkajs';
import { createStoreClient } from '@tokumei/store';
import { BROWSER_UA } from './pipeline.js';

export interface Outcome {
  readonly id: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  /** HTTP status; 0 when the request itself failed. */
  readonly status: number;
  /** `error.code` of an error body. */
  readonly code?: string;
}

export interface StreamOptions {
  readonly ingestUrl: string;
  readonly site: string;
  readonly perSecond: number;
  /** Requests in flight at most: a ceiling on the client, well above what ingest holds before answering 503. */
  readonly maxOutstanding: number;
}

/** Beacon `id` is sent as page `/b/<id>`: short digit runs survive the privacy engine's path scrubbing. */
export function beaconPath(id: number): string {
  return `/b/${id}`;
}

export class BeaconStream {
  readonly outcomes: Outcome[] = [];
  private next = 0;
  private outstanding = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StreamOptions) {}

  start(): void {
    const tickMs = 20;
    const started = Date.now();
    this.timer = setInterval(() => {
      // Catch up to the schedule rather than sending a fixed number per tick: timers run late on a busy machine.
      const due = Math.floor(((Date.now() - started) / 1000) * this.options.perSecond);
      while (this.next < due && this.outstanding < this.options.maxOutstanding) this.send(this.next++);
    }, tickMs);
  }

  /** Stops sending and waits for every answer. */
  async stop(): Promise<Outcome[]> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    return this.outcomes;
  }

  get pendingAnswers(): number {
    return this.outstanding;
  }

  get sent(): number {
    return this.next;
  }

  accepted(): number {
    return this.outcomes.filter((o) => o.status === 202).length;
  }

  private send(id: number): void {
    this.outstanding += 1;
    const sentAt = Date.now();
    const request = (async (): Promise<void> => {
      let status = 0;
      let code: string | undefined;
      try {
        const response = await fetch(`${this.options.ingestUrl}/collect`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': BROWSER_UA },
          body: JSON.stringify({ site: this.options.site, url: `https://${this.options.site}${beaconPath(id)}`, sid: `s-${id % 50}` }),
        });
        status = response.status;
        const text = await response.text();
        if (text !== '') code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch (error) {
        code = error instanceof Error ? error.message : String(error);
      }
      this.outcomes.push({ id, sentAt, answeredAt: Date.now(), status, ...(code === undefined ? {} : { code }) });
    })();
    this.inFlight.add(request);
    void request.finally(() => {
      this.outstanding -= 1;
      this.inFlight.delete(request);
    });
  }
}

/** Waits until the worker group has committed the raw topic's end offset on every partition, i.e. stored it all. */
export async function waitUntilConsumed(brokers: string, topic: string, groupId: string, timeoutMs: number): Promise<void> {
  const admin = new Kafka({ clientId: 'fault-test-lag', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  let lag = 'unknown';
  try {
    while (Date.now() < deadline) {
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        const behind = ends.map((e) => BigInt(e.high) - (done.get(e.partition) ?? 0n));
        lag = behind.join('/');
        if (behind.every((b) => b <= 0n)) return;
      } catch (error) {
        lag = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`worker group ${groupId} still behind on ${topic} after ${timeoutMs} ms (lag per partition: ${lag})`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Copies of each beacon id on the raw topic, read from the start by a throwaway group up to the end offsets of the
 * moment: tells a beacon Kafka never got from one the worker dropped.
 */
export async function beaconsOnTopic(brokers: string, topic: string, timeoutMs: number): Promise<Map<number, number>> {
  const kafka = new Kafka({ clientId: 'fault-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, BigInt(e.high)]));
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `fault-reader-${Date.now()}`, maxWaitTimeInMs: 250 });
  const counts = new Map<number, number>();
  const reached = new Map<number, bigint>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const check = (): void => {
    if ([...ends].every(([partition, end]) => end === 0n || (reached.get(partition) ?? -1n) >= end - 1n)) done();
  };
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const url = (JSON.parse(message.value?.toString() ?? '{}') as { url?: string }).url ?? '';
        const id = /\/b\/(\d+)$/.exec(url)?.[1];
        const key = id === undefined ? -1 : Number(id);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        reached.set(partition, BigInt(message.offset));
        check();
        return Promise.resolve();
      },
    });
    check();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end offsets in ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return counts;
  } finally {
    await consumer.disconnect();
  }
}

/** Rows per beacon id in the events table of a chDB data directory (its worker must have exited: one process per dir). */
export async function storedBeacons(dataDir: string, site: string): Promise<Map<number, number>> {
  const store = await createStoreClient({ clickhouseUrl: undefined, dataDir });
  try {
    const rows = await (await store.client.query({
      query: 'SELECT path, count() AS c FROM events WHERE site = {site:String} GROUP BY path',
      query_params: { site },
      format: 'JSONEachRow',
    })).json<{ path: string; c: string }>();
    const counts = new Map<number, number>();
    for (const row of rows) {
      const id = /^\/b\/(\d+)$/.exec(row.path)?.[1];
      // A path of any other shape would mean the scrubbing changed; count it as an unknown id, which fails the tally.
      counts.set(id === undefined ? -1 : Number(id), Number(row.c));
    }
    return counts;
  } finally {
    await store.close();
  }
}

export interface Tally {
  readonly sent: number;
  readonly accepted: number;
  readonly rejected503: number;
  /** 503s by error code. */
  readonly codes: Readonly<Record<string, number>>;
  readonly other: number;
  readonly storedAccepted: number;
  /** Accepted beacons that never reached the raw topic (when the topic was read). */
  readonly missingOnTopic?: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Answered 503 and stored anyway: the write reached Kafka but its acknowledgement did not reach ingest. */
  readonly storedDespite503: number;
  readonly unknownStored: number;
}

export function tally(outcomes: readonly Outcome[], stored: ReadonlyMap<number, number>, onTopic?: ReadonlyMap<number, number>): Tally {
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const accepted = outcomes.filter((o) => o.status === 202);
  const rejected = outcomes.filter((o) => o.status === 503);
  const codes: Record<string, number> = {};
  for (const o of rejected) codes[o.code ?? '(none)'] = (codes[o.code ?? '(none)'] ?? 0) + 1;
  return {
    sent: outcomes.length,
    accepted: accepted.length,
    rejected503: rejected.length,
    codes,
    other: outcomes.length - accepted.length - rejected.length,
    storedAccepted: accepted.filter((o) => (stored.get(o.id) ?? 0) >= 1).length,
    ...(onTopic === undefined ? {} : { missingOnTopic: accepted.filter((o) => (onTopic.get(o.id) ?? 0) === 0).length }),
    lost: accepted.filter((o) => (stored.get(o.id) ?? 0) === 0).length,
    duplicated: accepted.filter((o) => (stored.get(o.id) ?? 0) > 1).length,
    storedDespite503: rejected.filter((o) => (stored.get(o.id) ?? 0) >= 1).length,
    unknownStored: [...stored.keys()].filter((id) => !byId.has(id)).length,
  };
}

export function describeTally(t: Tally): string {
  const codes = Object.entries(t.codes).map(([code, n]) => `${code} ${n}`).join(', ');
  const topic = t.missingOnTopic === undefined ? '' : ` (${t.missingOnTopic} of them never on the raw topic)`;
  return `sent ${t.sent}, 202s ${t.accepted}, stored ${t.storedAccepted}, lost ${t.lost}${topic}, duplicated ${t.duplicated}, ` +
    `503s ${t.rejected503}${codes === '' ? '' : ` (${codes})`}, other answers ${t.other}, ` +
    `stored despite 503 ${t.storedDespite503}, unknown rows ${t.unknownStored}`;
}

import type { ConsentPolicy } from '@tokumei/config';
import type { RawRecord } from '@tokumei/schema';
import { keyedHash64 } from './keyed-hash.js';
import { utcDay, type SaltStore } from './salts.js';

/** One row of the `events` table: everything of a record that may be stored, and nothing else. */
export interface EventRow {
  site: string;
  /** Epoch seconds. */
  ts: number;
  event: string;
  path: string;
  referrer_host: string;
  /** UInt64 as a decimal string; '0' = none. */
  session: string;
  visitor: string;
  src: 'beacon' | 'log';
}

export type DropReason = 'consent' | 'bad_url';

/** A step's outcome: store the row, drop the record on purpose (counted), or refuse it as unreadable. */
export type StepResult =
  | { readonly kind: 'ok'; readonly row: EventRow }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'dlq'; readonly reason: string };

export interface PseudonymizeOptions {
  readonly consentPolicy: ConsentPolicy;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * The worker's transform: drops IP, user agent, sid, cookies, query string and fragment; keeps the referrer's host
 * only; replaces sid and client with keyed hashes under the day's salt.
 */
export async function pseudonymize(record: RawRecord, salts: SaltStore, options: PseudonymizeOptions): Promise<StepResult> {
  const url = parseUrl(record.url);
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { kind: 'drop', reason: 'bad_url' };
  const signalled = record.dnt || record.gpc;
  if (signalled && options.consentPolicy === 'drop') return { kind: 'drop', reason: 'consent' };
  const anonymous = signalled && options.consentPolicy === 'count';

  let session = '0';
  let visitor = '0';
  const salt = anonymous ? undefined : await salts.saltFor(utcDay(record.ts));
  if (salt !== undefined) {
    if (record.sid !== undefined) session = keyedHash64(salt, ['session', record.site, record.sid]);
    visitor = keyedHash64(salt, ['visitor', record.site, record.ip, record.ua]);
  }
  const referrer = record.ref === undefined ? undefined : parseUrl(record.ref);
  return {
    kind: 'ok',
    row: {
      site: record.site,
      ts: Math.floor(record.ts / 1000),
      event: record.event,
      path: url.pathname,
      referrer_host: referrer?.hostname ?? '',
      session,
      visitor,
      src: record.src,
    },
  };
}

import { randomBytes } from 'node:crypto';
import { agentKey, detach } from './keys.js';

/** Sessions end after this long without a request, as most analytics tools count them. */
export const SESSION_GAP_MS = 30 * 60_000;

/**
 * Open sessions kept at most (49 MB measured with 250-character agents, the longest a key keeps whole). A busy site
 * has far fewer clients active within 30 minutes; more means a flood (every line a new agent), and memory must not
 * follow it.
 */
export const MAX_OPEN_SESSIONS = 100_000;

interface Open {
  sid: string;
  last: number;
}

/**
 * Log lines have no session id, so the importer makes one per (site, client address, user agent) that ends after
 * 30 minutes without a request. The ids are random per run and kept only in memory; the worker hashes them like a
 * beacon's sid, so `events.session` is one session key for beacons and logs alike.
 *
 * The map is kept in order of last use (a touched session moves to the end), so the first entries are the ones idle
 * longest: those more than the gap away from the line in hand are over and dropped from the front, and when `maxOpen`
 * are still open the longest idle one is evicted (its client's next request starts a new session), counted in
 * `evicted`. Distance to the line in hand rather than to the newest line seen: after a newer file, an older one's
 * sessions would all look over at once.
 */
export class SessionAssigner {
  private readonly open = new Map<string, Open>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  /** Sessions ended before their 30 minutes were over, to stay within maxOpen. */
  evicted = 0;

  constructor(private readonly gapMs = SESSION_GAP_MS, private readonly maxOpen = MAX_OPEN_SESSIONS) {}

  sid(site: string, ip: string, ua: string, ts: number): string {
    // Bounded key: site and address are short (the importer checks), the agent is at most 256 characters or a hash.
    const key = `${site}\u0000${ip}\u0000${agentKey(ua)}`;
    const open = this.open.get(key);
    // Lines of one client can be slightly out of order (logged at completion): a gap counts in either direction.
    if (open !== undefined && Math.abs(ts - open.last) <= this.gapMs) {
      if (ts > open.last) open.last = ts;
      this.open.delete(key);
      this.open.set(key, open);
      return open.sid;
    }
    const sid = `${this.prefix}.${(this.counter++).toString(36)}`;
    if (open !== undefined) this.open.delete(key);
    else this.makeRoom(ts);
    this.open.set(detach(key), { sid, last: ts });
    return sid;
  }

  /** Sessions currently open (for tests). */
  get size(): number {
    return this.open.size;
  }

  /** Drops sessions over at `ts` from the front; if still full, evicts the one idle longest. */
  private makeRoom(ts: number): void {
    for (const [key, open] of this.open) {
      if (Math.abs(ts - open.last) <= this.gapMs) break;
      this.open.delete(key);
    }
    if (this.open.size < this.maxOpen) return;
    const oldest = this.open.keys().next();
    if (oldest.done !== true) {
      this.open.delete(oldest.value);
      this.evicted += 1;
    }
  }
}

import { randomBytes } from 'node:crypto';

/** Sessions end after this long without a request, as most analytics tools count them. */
export const SESSION_GAP_MS = 30 * 60_000;

interface Open {
  sid: string;
  last: number;
}

/**
 * Log lines have no session id, so the importer makes one per (site, client address, user agent) that ends after
 * 30 minutes without a request. The ids are random per run and kept only in memory; the worker hashes them like a
 * beacon's sid, so `events.session` is one session key for beacons and logs alike.
 */
export class SessionAssigner {
  private readonly open = new Map<string, Open>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  private newest = 0;
  private sinceSweep = 0;

  constructor(private readonly gapMs = SESSION_GAP_MS) {}

  sid(site: string, ip: string, ua: string, ts: number): string {
    const key = `${site}\u0000${ip}\u0000${ua}`;
    const open = this.open.get(key);
    if (ts > this.newest) this.newest = ts;
    if (++this.sinceSweep >= 100_000) this.sweep();
    // Lines of one client can be slightly out of order (logged at completion): a gap counts in either direction.
    if (open !== undefined && Math.abs(ts - open.last) <= this.gapMs) {
      if (ts > open.last) open.last = ts;
      return open.sid;
    }
    const sid = `${this.prefix}.${(this.counter++).toString(36)}`;
    this.open.set(key, { sid, last: ts });
    return sid;
  }

  /** Sessions currently open (for tests). */
  get size(): number {
    return this.open.size;
  }

  /** Drops sessions idle for longer than the gap: memory follows the number of active clients, not of all clients. */
  private sweep(): void {
    this.sinceSweep = 0;
    for (const [key, open] of this.open) if (this.newest - open.last > this.gapMs) this.open.delete(key);
  }
}

/**
 * Wrong passwords per link: after LIMIT within WINDOW the link's password prompt answers 429 until the window ends.
 * In memory, per process (an attacker spreading guesses over replicas gets LIMIT per replica): the aim is to make
 * guessing slow and keep scrypt from being a CPU lever, not an exact count. Bounded in size, oldest entry first out.
 */
export class AttemptThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(readonly limit = 10, readonly windowMs = 15 * 60_000, private readonly maxKeys = 10_000) {}

  /** Seconds until the key may try again, or 0. */
  retryAfter(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (entry === undefined || now - entry.since >= this.windowMs) return 0;
    return entry.count >= this.limit ? Math.ceil((entry.since + this.windowMs - now) / 1000) : 0;
  }

  fail(key: string, now: number): void {
    const entry = this.failures.get(key);
    if (entry === undefined || now - entry.since >= this.windowMs) {
      this.failures.delete(key);
      if (this.failures.size >= this.maxKeys) {
        const oldest = this.failures.keys().next();
        if (oldest.done !== true) this.failures.delete(oldest.value);
      }
      this.failures.set(key, { count: 1, since: now });
    } else {
      entry.count += 1;
    }
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}

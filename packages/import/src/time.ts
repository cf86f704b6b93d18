/**
 * Timestamps of access-log lines to epoch milliseconds. Formats with a zone (CLF's `-0700`, ISO 8601 with an offset,
 * epoch numbers) are exact; wall-clock times without one are read in the `--tz` zone.
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const CLF = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?: ([+-])(\d{2}):?(\d{2}))?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
const EPOCH = /^\d{9,13}(\.\d+)?$/;

/** Converts wall-clock times in one IANA zone to UTC; offsets are cached per hour, which is all DST needs. */
export class WallClock {
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly offsets = new Map<number, number>();

  /** Throws RangeError for an unknown zone. */
  constructor(readonly zone: string = 'UTC') {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    this.format = zone === 'UTC' ? undefined : format;
  }

  /** Epoch ms of a wall-clock time in this zone (month 0-based). */
  toEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): number {
    const wall = Date.UTC(year, month, day, hour, minute, second, ms);
    if (this.format === undefined) return wall;
    // The offset at the guessed instant, then at the corrected one: right on both sides of a DST change.
    const first = wall - this.offsetAt(wall);
    return wall - this.offsetAt(first);
  }

  private offsetAt(epoch: number): number {
    const hour = Math.floor(epoch / 3_600_000);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const parts: Record<string, number> = {};
      for (const part of (this.format as Intl.DateTimeFormat).formatToParts(hour * 3_600_000)) parts[part.type] = Number(part.value);
      offset = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day, parts.hour, parts.minute, parts.second) - hour * 3_600_000;
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(hour, offset);
    }
    return offset;
  }
}

/** An offset no zone has (over ±18:00, or 60+ minutes) makes the time impossible: NaN, so `valid` refuses it. */
function zoneOffsetMs(sign: string, hours: string, minutes: string): number {
  const [h, m] = [Number(hours), Number(minutes)];
  if (h > 18 || m > 59) return Number.NaN;
  return (sign === '-' ? -1 : 1) * (h * 60 + m) * 60_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the fields name a real moment (month 0-based). Date.UTC rolls `31/Feb` over to 3 March and hour 24 to the
 * next day; a log with such a time is broken, and storing the line on another day would be a silent error.
 */
function possible(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  const leap = month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = (DAYS_IN_MONTH[month] ?? 0) + (leap ? 1 : 0);
  // Second 60 is a leap second (Date.UTC reads it as the next minute's 0).
  return day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 60;
}

function valid(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** `10/Oct/2000:13:55:36 -0700` (nginx $time_local, Apache %t); without the zone, in the wall clock's zone. */
export function parseClfTime(text: string, clock: WallClock): number | undefined {
  const m = CLF.exec(text);
  if (m === null) return undefined;
  const month = MONTHS[m[2] ?? ''];
  if (month === undefined) return undefined;
  const [year, day, hour, minute, second] = [Number(m[3]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])];
  if (!possible(year, month, day, hour, minute, second)) return undefined;
  if (m[7] === undefined) return valid(clock.toEpoch(year, month, day, hour, minute, second));
  return valid(Date.UTC(year, month, day, hour, minute, second) - zoneOffsetMs(m[7], m[8] ?? '0', m[9] ?? '0'));
}

/** ISO 8601 (nginx $time_iso8601), with `T` or a space; without an offset, in the wall clock's zone. */
export function parseIsoTime(text: string, clock: WallClock): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined || year === undefined) return undefined;
  if (month < 1 || month > 12 || !possible(year, month - 1, day, hour, minute, second)) return undefined;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(m[7]) * 1000);
  const zone = m[8];
  if (zone === undefined) return valid(clock.toEpoch(year, month - 1, day, hour, minute, second, ms));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (zone === 'Z') return valid(utc);
  const digits = zone.replace(':', '');
  return valid(utc - zoneOffsetMs(digits[0] ?? '+', digits.slice(1, 3), digits.slice(3, 5)));
}

/** Seconds (nginx $msec `1700000000.123`) or milliseconds since the epoch. */
export function parseEpoch(value: string | number): number | undefined {
  const n = typeof value === 'number' ? value : EPOCH.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n >= 1e11 ? n : n * 1000);
}

/** Any of the above, for JSON logs whose time field may be any of them. */
export function parseAnyTime(value: unknown, clock: WallClock): number | undefined {
  if (typeof value === 'number') return parseEpoch(value);
  if (typeof value !== 'string') return undefined;
  return parseEpoch(value) ?? parseIsoTime(value, clock) ?? parseClfTime(value.replace(/^\[|\]$/g, ''), clock);
}

/**
 * Every way a stored string can be read, written for the audit alone: it shares no code with the privacy engine's
 * canonical form, so a value the engine misreads is still read here. Each reading names how it was made, for the
 * report. Bounded: the first 4096 characters, at most 48 readings.
 */
export interface Reading {
  readonly how: string;
  readonly text: string;
}

const MAX_INPUT = 4096;
const MAX_READINGS = 48;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT = new TextDecoder('utf-8');
const SJIS = new TextDecoder('shift_jis');
const EUCJP = new TextDecoder('euc-jp');

/** %XX escapes to bytes (other characters as their UTF-8), or undefined when there is no escape. */
function percentBytes(text: string): Buffer | undefined {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return undefined;
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([parseInt(hex, 16)]));
      plain = '';
      i += 2;
    } else plain += text[i];
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** Bytes as UTF-8 text when they are valid and mostly printable: decoded binary noise is no reading. */
function printable(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what marks binary
  const controls = (text.match(/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/g) ?? []).length;
  return text.length > 0 && controls === 0 ? text : undefined;
}

function base64Readings(text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)) {
    const standard = run.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (standard.length % 4 === 1) continue;
    const decoded = printable(Buffer.from(standard, 'base64'));
    if (decoded !== undefined && /[\p{L}\p{N}@]/u.test(decoded)) out.push(decoded);
    if (out.length >= 4) break;
  }
  return out;
}

function hexReadings(text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.matchAll(/[0-9A-Fa-f]{8,}/g)) {
    const even = run.length % 2 === 0 ? run : run.slice(0, -1);
    const decoded = printable(Buffer.from(even, 'hex'));
    if (decoded !== undefined && /[\p{L}\p{N}@]/u.test(decoded)) out.push(decoded);
    if (out.length >= 4) break;
  }
  return out;
}

/**
 * The raw text, percent-decoded until stable (each round also with `+` as space), as Shift_JIS and EUC-JP, without
 * invisible characters, kanji numerals as digits, base64 (standard and url), hex, and the NFKC form of each.
 */
export function readingsOf(value: string): Reading[] {
  const seen = new Set<string>();
  const out: Reading[] = [];
  const add = (how: string, text: string) => {
    if (out.length >= MAX_READINGS || seen.has(text)) return;
    seen.add(text);
    out.push({ how, text });
    const folded = text.normalize('NFKC');
    if (!seen.has(folded) && out.length < MAX_READINGS) {
      seen.add(folded);
      out.push({ how: `${how}+NFKC`, text: folded });
    }
  };
  add('stored', value.slice(0, MAX_INPUT));
  let current = value.slice(0, MAX_INPUT);
  for (let round = 1; round <= 4; round++) {
    for (const [how, text] of [['', current], ['+', current.replace(/\+/g, ' ')]] as const) {
      const bytes = percentBytes(text);
      if (bytes === undefined) continue;
      const label = `percent${how === '+' ? ' with + as space' : ''}${round > 1 ? ` ×${round}` : ''}`;
      // Tolerant: a broken escape next to the value (`%FF%E3%8`) must not hide the rest of it.
      add(label, LENIENT.decode(bytes));
      if (bytes.some((b) => b >= 0x80)) {
        add(`${label}, Shift_JIS`, SJIS.decode(bytes));
        add(`${label}, EUC-JP`, EUCJP.decode(bytes));
      }
    }
    const next = printable(percentBytes(current) ?? Buffer.from(current)) ?? current;
    if (next === current) break;
    current = next;
  }
  for (const r of [...out]) {
    // Zero-width and control characters cut a value into pieces no rule sees whole.
    const visible = r.text.replace(/[\p{Cc}\p{Cf}]/gu, '');
    if (visible !== r.text) add(`${r.how}, invisible characters removed`, visible);
  }
  for (const r of [...out]) {
    if (/[〇一二三四五六七八九]/u.test(r.text)) add(`${r.how}, kanji numerals`, r.text.replace(/[〇一二三四五六七八九]/gu, (c) => String('〇一二三四五六七八九'.indexOf(c))));
  }
  for (const r of [...out]) {
    for (const text of base64Readings(r.text)) add(`${r.how}, base64`, text);
    for (const text of hexReadings(r.text)) add(`${r.how}, hex`, text);
  }
  return out;
}

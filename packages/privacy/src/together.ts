import { matchForm, readings } from './canonical.js';
import { markedPersonal } from './markers.js';
import { classifyReadings } from './pii-patterns.js';

/**
 * Values of one record read together (props of a record, allow-listed query values of a URL): data split over them
 * (`plan=千代田区` + `note=1-1-1`, `utm_source=jane.doe` + `utm_medium=gmail.com`, `Yamada` + `sama`) is whole again
 * when they are joined. The verdict must not depend on the order of the keys (red team 3: one order kept both), so
 * the whole is read in both orders and every pair in both orders; a failed pair replaces both of its parts, a failed
 * whole replaces every part.
 */

/** Pairs are read for this many values at most (n·(n-1) joins); a record with more is read whole, both ways. */
const MAX_PAIRED = 8;

function joinedVerdict(parts: readonly string[], separators: readonly string[], plusAsSpace: boolean): string | undefined {
  for (const separator of separators) {
    const all = readings(parts.join(separator), plusAsSpace);
    const verdict = classifyReadings(all);
    if (verdict !== undefined) return verdict;
    for (const text of all) {
      const marked = markedPersonal(matchForm(text));
      if (marked !== undefined) return marked;
    }
  }
  return undefined;
}

export interface TogetherOptions {
  readonly separators: readonly string[];
  readonly plusAsSpace: boolean;
  /** Which verdicts of a join count (URL values: not a token, which joined campaign words can look like). */
  readonly counts: (verdict: string) => boolean;
}

/** The parts (by index) that are personal data when read with the others, each with its placeholder. */
export function judgedTogether(raws: readonly string[], options: TogetherOptions): Map<number, string> {
  const out = new Map<number, string>();
  if (raws.length < 2) return out;
  const verdict = (parts: readonly string[]): string | undefined => {
    const found = joinedVerdict(parts, options.separators, options.plusAsSpace);
    return found !== undefined && options.counts(found) ? found : undefined;
  };
  const whole = verdict(raws) ?? verdict([...raws].reverse());
  if (whole !== undefined) {
    raws.forEach((_, i) => out.set(i, whole));
    return out;
  }
  if (raws.length === 2 || raws.length > MAX_PAIRED) return out;
  for (let i = 0; i < raws.length; i++) {
    for (let j = i + 1; j < raws.length; j++) {
      const a = raws[i] ?? '';
      const b = raws[j] ?? '';
      const pair = verdict([a, b]) ?? verdict([b, a]);
      if (pair === undefined) continue;
      out.set(i, pair);
      out.set(j, pair);
    }
  }
  return out;
}

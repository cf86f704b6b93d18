import { prng } from '../helpers/random.js';

/**
 * A seeded source of fuzz inputs. Plain functions over mulberry32 rather than fast-check arbitraries: drawing is
 * about a hundred times cheaper, which is what lets tens of thousands of inputs fit in a few seconds.
 */
const BLOCK = 64;

export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = prng(seed);
  }

  /** 0 ≤ n < max. */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight: [[weight, make], …]. */
  weighted<T>(options: readonly (readonly [number, () => T])[]): T {
    const total = options.reduce((sum, [w]) => sum + w, 0);
    let at = this.next() * total;
    for (const [weight, make] of options) {
      at -= weight;
      if (at < 0) return make();
    }
    return (options[options.length - 1] as readonly [number, () => T])[1]();
  }

  /**
   * `length` items from `alphabet` (each item may be one or more UTF-16 units). Past 64 items a random block of 64
   * repeats: fields near a 2,048-unit limit drawn one item at a time cost more than the checks they feed.
   */
  string(length: number, alphabet: readonly string[]): string {
    const block: string[] = [];
    for (let i = 0; i < Math.min(length, BLOCK); i += 1) block.push(this.pick(alphabet));
    if (length <= BLOCK) return block.join('');
    return block.join('').repeat(Math.floor(length / BLOCK)) + block.slice(0, length % BLOCK).join('');
  }

  /** Characters with codes min…max. */
  chars(length: number, min: number, max: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += String.fromCharCode(min + this.int(max - min + 1));
    return out;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) out[i] = this.int(256);
    return out;
  }
}

export interface FuzzOptions {
  /** Fixed, so every run draws the same inputs in the same order and a failure names an input that reproduces. */
  readonly seed: number;
  /** Stop after this many inputs… */
  readonly inputs: number;
  /** …or after this long, whichever comes first: CI machines are shared, and a fuzz test must not hold the suite. */
  readonly ms: number;
  /** Inputs checked at once (app.inject requests overlap; pure parsers use 1). */
  readonly concurrency?: number;
}

/** A short, printable rendering of an input for a failure message (inputs can be kilobytes of binary). */
export function describeInput(input: unknown): string {
  const text = Buffer.isBuffer(input) ? `bytes:${input.toString('base64')}` : JSON.stringify(input) ?? String(input);
  return text.length > 600 ? `${text.slice(0, 600)}… (${String(text.length)} chars)` : text;
}

/**
 * Draws inputs with `generate` from one seeded Random and runs `check` on each, `concurrency` at a time, until the
 * input count or the time budget is reached. `check` throws to fail; the error names the input's number and the
 * input. Resolves with the number of inputs checked.
 */
export async function fuzz<T, R = void>(
  generate: (random: Random) => T, options: FuzzOptions, check: (input: T) => Promise<R> | R,
  /** Checks what only a whole batch shows (e.g. how many records the batch's 202s published). */
  afterBatch?: (results: readonly R[]) => void,
): Promise<number> {
  const random = new Random(options.seed);
  const deadline = performance.now() + options.ms;
  const concurrency = options.concurrency ?? 1;
  let done = 0;
  while (done < options.inputs && performance.now() < deadline) {
    const batch = Array.from({ length: Math.min(concurrency, options.inputs - done) }, () => generate(random));
    const results = await Promise.all(batch.map(async (input, j) => {
      try {
        return await check(input);
      } catch (error) {
        throw new Error(`seed ${String(options.seed)}, input ${String(done + j)}: ${error instanceof Error ? error.message : String(error)}\ninput: ${describeInput(input)}`, { cause: error });
      }
    }));
    afterBatch?.(results);
    done += batch.length;
  }
  return done;
}

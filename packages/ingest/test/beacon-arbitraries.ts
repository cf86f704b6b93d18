import fc from 'fast-check';

/** Characters that are fine in every free-text field: one or two UTF-16 units each, so lengths straddle each limit. */
const safeChar = fc.constantFrom('a', 'Z', '0', '-', '.', '_', 'é', 'ß', '例', '😀', '𝔘', '\u{10ffff}');
const hostileChar = fc.constantFrom('\u0000', '\u001b', '\u007f', '\u0085', '\ud800', '\udfff', ' ', '\n', '\u2028');

/** Short strings, and strings whose UTF-16 length falls on either side of `limit`. */
function around(limit: number, char: fc.Arbitrary<string> = safeChar) {
  return fc.oneof(
    fc.string({ unit: char, minLength: 1, maxLength: 6 }),
    fc.string({ unit: char, minLength: Math.ceil(limit * 0.55), maxLength: limit + 2 }),
  );
}

/** Mostly the valid value; sometimes a hostile character inside it, or another JSON type. */
function spoil(valid: fc.Arbitrary<string | number>) {
  const withHostile = fc.tuple(valid.map(String), hostileChar, fc.nat()).map(([text, bad, at]) => {
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${bad}${text.slice(i)}`;
  });
  const otherType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), valid.map((v) => [v]), fc.constant({}));
  return fc.oneof({ weight: 16, arbitrary: valid }, { weight: 1, arbitrary: withHostile }, { weight: 1, arbitrary: otherType });
}

const eventChar = fc.constantFrom(...'abcXYZ019_.:-');

/**
 * Beacons for property and fuzz tests: each field mostly valid, with lengths on either side of its limit (counted in
 * UTF-16 units, with characters of one and two units), sometimes a hostile character or another JSON type, and now
 * and then an unknown key. About a quarter pass, so both sides of every rule are reached.
 */
export const beaconLike = fc.record({
  site: spoil(fc.oneof(fc.constantFrom('example.com', 'www.example.org'), around(100, safeChar))),
  url: spoil(around(2048 - 20).map((path) => `https://example.com/${path}`)),
  referrer: spoil(fc.oneof(fc.constant('https://www.example.org/'), around(2048))),
  sid: spoil(fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), around(128))),
  event: spoil(fc.oneof(fc.constantFrom('pageview', 'signup'), around(64, eventChar))),
  w: spoil(fc.integer({ min: -2, max: 100_002 })),
  lang: spoil(fc.stringMatching(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$/)),
  extra: fc.string({ maxLength: 4 }),
}, { requiredKeys: ['site', 'url'] }).chain((beacon) => fc.oneof(
  { weight: 10, arbitrary: fc.constant((({ extra: _extra, ...rest }) => rest)(beacon)) },
  { weight: 1, arbitrary: fc.constant(beacon) },
));

import { createRequire } from 'node:module';
import { readings } from './canonical.js';
import { scrubHost } from './hosts.js';
import { suffixLength } from './host-labels.js';
import { classify, classifyReadings } from './pii-patterns.js';
import { labelVerdict } from './props-label.js';

/**
 * The tracker's automatic events (data-outbound, data-downloads, data-track-404). Names are Plausible's ("Outbound
 * Link: Click", "File Download", "404") with spaces as `_`, the rule ingest's Plausible route applies to every
 * Plausible name: a site moving from Plausible's script to Tokumei's keeps one name per event, and its goals.
 */
export const AUTO_EVENTS = { outbound: 'Outbound_Link:_Click', download: 'File_Download', notFound: '404' } as const;

/**
 * Reserved (event, key) pairs: stored without the site's allow-list, because the tracker sends them on its own and a
 * site that turned the feature on wants them counted. What makes that safe is the shape: a value is kept only as a
 * host name or a file extension, never as text, so a hand-made beacon using these names gains no channel that the
 * event name (64 characters, judged by the same patterns) and the referrer host (any host, judged by scrubHost) do
 * not already give every beacon. Any other key of these events follows the allow-list as usual; the 404 event has
 * no reserved key (its page path is the row's own path).
 */
const RESERVED: ReadonlyMap<string, { readonly key: string; readonly judge: (raw: string) => string }> = new Map([
  [AUTO_EVENTS.outbound, { key: 'host', judge: judgeTargetHost }],
  [AUTO_EVENTS.download, { key: 'ext', judge: judgeExtension }],
]);

/** The reserved key of an event and its judge, if the event has one. Event names are matched exactly (case too). */
export function reservedProp(event: string | undefined): { readonly key: string; readonly judge: (raw: string) => string } | undefined {
  return event === undefined ? undefined : RESERVED.get(event);
}

/** Labels as a browser's URL parser writes them (`URL.hostname`: lower case, IDN as punycode). */
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A top-level domain: letters, or an IDN's punycode; never all digits (that is an IPv4 address). */
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

function hostShaped(raw: string): boolean {
  if (raw.length > 253) return false;
  const labels = raw.split('.');
  return labels.length >= 2 && labels.every((label) => LDH_LABEL.test(label)) && TLD.test(labels[labels.length - 1] ?? '');
}

/**
 * An outbound link's target host as stored. Only the form the tracker sends (`URL.hostname`) is a host: anything
 * else (a port, userinfo, a path, upper case, full-width or percent-encoded characters, Unicode that was not
 * punycoded, a single label) is no host and becomes its placeholder when any reading holds personal data
 * (`jane@example.com` → `:email`), else `:value`; nothing is normalised into shape, since normalising is where
 * look-alikes get in. An IP literal (`198.51.100.7`, `[2001:db8::1]`) is `:ip`: the click is counted, the address
 * is not kept (a link to an address can point at a visitor's own machine), as the referrer host does. A host is
 * then judged by the one host judge (scrubHost, host-labels.ts) that judges page hosts, referrers and sites: each
 * label below the public suffix by the label rule (`yamada-san.example.com` is `:name.example.com`; punycode in its
 * Unicode form), a mailbox provider's domain with a local part in front (`:email.gmail.com`), and as a whole.
 */
export function judgeTargetHost(raw: string): string {
  if (!hostShaped(raw)) return classifyReadings(readings(raw, true)) ?? ':value';
  const scrubbed = scrubHost(raw);
  if (scrubbed !== raw) return scrubbed;
  const whole = classifyReadings([raw]);
  if (whole === undefined) return raw;
  // A token over the labels (`kx7q.plmn.opqr.example.com`), not a brand's name (`duckduckgo.com`).
  if (whole !== ':token') return whole;
  const labels = raw.split('.');
  const below = labels.slice(0, labels.length - suffixLength(labels) - 1).join('.');
  return below !== '' && classify(below) === ':token' ? whole : raw;
}

const EXTENSION = /^[a-z0-9]{1,8}$/;
/** The tracker's default list (Plausible's), also when mime-db would not know one of them. */
const TRACKER_EXTENSIONS = ['pdf', 'xlsx', 'docx', 'txt', 'rtf', 'csv', 'exe', 'key', 'pps', 'ppt', 'pptx', '7z', 'pkg', 'rar', 'gz',
  'zip', 'avi', 'mov', 'mp4', 'mpeg', 'wmv', 'midi', 'mp3', 'wav', 'wma', 'dmg'];
/** Downloads mime-db has no type for: source files, split archives, notebooks, installers, e-books, data. */
const MORE_EXTENSIONS = ['tgz', 'tbz2', 'txz', 'py', 'ipynb', 'azw3', 'sketch', 'fig', 'appimage', 'r', 'rmd', 'jl', 'go', 'rs', 'kt',
  'swift', 'dart', 'lua', 'pl', 'rb', 'php', 'ps1', 'bat', 'cmd', '001', '002', '003', 'patch', 'diff', 'whl', 'gem', 'aab', 'xapk',
  'ipa', 'snap', 'flatpak', 'nupkg', 'crx', 'xpi', 'vsix', 'gguf', 'onnx', 'safetensors', 'parquet', 'ndjson', 'jsonl', 'toml', 'ini',
  'cfg', 'conf', 'log', 'bak', 'sql', 'sqlite', 'db', 'mdb', 'accdb', 'pages', 'numbers', 'keynote', 'hwp', 'jtd'];
const require = createRequire(import.meta.url);
const mimeDb = require('mime-db') as Record<string, { readonly extensions?: readonly string[] }>;
/** Real file extensions: every extension mime-db (jshttp, MIT) knows, the tracker's list and the few above. */
const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  ...TRACKER_EXTENSIONS, ...MORE_EXTENSIONS, ...Object.values(mimeDb).flatMap((type) => type.extensions ?? []).filter((ext) => EXTENSION.test(ext)),
]);

/**
 * A downloaded file's extension as stored: only a real one (mime-db's or the tracker's list, lower case, as the
 * tracker sends it). Any other word of 1-8 letters could be a name (`yamada`, `jdoe`), so it is `:other` (the
 * download still counts), or its placeholder when it holds a pattern (`12345678` is `:value` by the label rule:
 * more than 3 numerals); anything not shaped like an extension is its placeholder or `:value`.
 */
export function judgeExtension(raw: string): string {
  if (!EXTENSION.test(raw)) return classifyReadings(readings(raw, true)) ?? ':value';
  if (KNOWN_EXTENSIONS.has(raw)) return raw;
  return classifyReadings([raw]) ?? labelVerdict(raw) ?? ':other';
}

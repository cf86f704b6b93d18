import { domainToUnicode } from 'node:url';
import { matchForm, readings } from './canonical.js';
import { scrubHost } from './hosts.js';
import { classifyReadings } from './pii-patterns.js';
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
 * then judged label by label like a referrer's (scrubHost: `:phone.example.net`), each label below the top-level
 * domain also by the props' label rule (an honorific, an address word, a random token, more than 3 numerals:
 * `yamada-san.example.com` is `:name.example.com`; punycode judged in its Unicode form), and as a whole.
 */
export function judgeTargetHost(raw: string): string {
  if (!hostShaped(raw)) return classifyReadings(readings(raw, true)) ?? ':value';
  const scrubbed = scrubHost(raw);
  const labels = scrubbed.split('.');
  // scrubHost keeps the labels, or answers one placeholder for the whole name (`:email`).
  if (labels.length !== raw.split('.').length) return scrubbed;
  const judged = labels.map((label, i) => (i === labels.length - 1 || label.startsWith(':') ? label
    : labelVerdict(matchForm(label.startsWith('xn--') ? domainToUnicode(label) || label : label)) ?? label)).join('.');
  if (judged !== raw) return judged;
  return classifyReadings([raw]) ?? raw;
}

const EXTENSION = /^[a-z0-9]{1,8}$/;

/**
 * A downloaded file's extension as stored: 1-8 of a-z 0-9 (the tracker lower-cases it). Anything else is its
 * placeholder or `:value`; a shaped one is still judged by the patterns (`12345678` is `:phone`) and the label rule
 * (at most 3 numerals, no random token), so no number a person has fits in it.
 */
export function judgeExtension(raw: string): string {
  if (!EXTENSION.test(raw)) return classifyReadings(readings(raw, true)) ?? ':value';
  return classifyReadings([raw]) ?? labelVerdict(raw) ?? raw;
}

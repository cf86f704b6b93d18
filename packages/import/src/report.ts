import type { ImportCounts } from './importer.js';

const n = (value: number) => value.toLocaleString('en-US');

/** The end-of-import summary: counts, and bad lines by number and reason, never their text. */
export function formatReport(label: string, counts: ImportCounts, seconds: number): string {
  const out = [
    `${label}: ${n(counts.lines)} lines in ${seconds.toFixed(1)} s (${n(Math.round(counts.lines / Math.max(seconds, 0.001)))} lines/s)`,
    `  page views: ${n(counts.pageviews)}`,
    `  bots:       ${n(counts.bots)} (counted per day, not stored as page views)`,
    `  skipped:    ${n(counts.skipped.asset)} assets, ${n(counts.skipped.method)} non-GET, ${n(counts.skipped.status)} non-2xx/3xx, ${n(counts.skipped.empty)} empty`,
    `  bad lines:  ${n(counts.bad)}`,
  ];
  for (const { line, reason } of counts.badLines) out.push(`    line ${line}: ${reason}`);
  if (counts.bad > counts.badLines.length) {
    out.push(`    … ${n(counts.bad - counts.badLines.length)} more; by reason: ${Object.entries(counts.badReasons).map(([reason, count]) => `${reason} ${n(count)}`).join(', ')}`);
  }
  return out.join('\n');
}

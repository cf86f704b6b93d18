import type { ImportCounts } from './importer.js';

const n = (value: number) => value.toLocaleString('en-US');

/** The end-of-import summary: counts, and bad lines by number and reason, never their text. */
export function formatReport(label: string, counts: ImportCounts, seconds: number): string {
  const out = [
    `${label}: ${n(counts.lines)} lines in ${seconds.toFixed(1)} s (${n(Math.round(counts.lines / Math.max(seconds, 0.001)))} lines/s)`,
    `  page views: ${n(counts.pageviews)}`,
  ];
  if (counts.aggregatesOnly > 0) {
    out.push(`              ${n(counts.aggregatesOnly)} of them older than the events retention (TOKUMEI_EVENTS_TTL_DAYS): in the daily totals only, no events or session metrics`);
  }
  out.push(
    `  bots:       ${n(counts.bots)} (counted per day, not stored as page views)`,
    `  skipped:    ${n(counts.skipped.asset)} assets, ${n(counts.skipped.method)} non-GET, ${n(counts.skipped.status)} non-2xx/3xx, ${n(counts.skipped.empty)} empty`,
  );
  if (counts.skipped.future + counts.skipped.retention > 0) {
    out.push(`              ${n(counts.skipped.future)} in the future, ${n(counts.skipped.retention)} older than retention (TOKUMEI_AGGREGATES_TTL_MONTHS: the store would not keep them)`);
  }
  if (counts.sessionsEvicted > 0) {
    out.push(`  sessions:   ${n(counts.sessionsEvicted)} ended early to bound memory (too many clients at once)`);
  }
  out.push(`  bad lines:  ${n(counts.bad)}`);
  for (const { line, reason } of counts.badLines) out.push(`    line ${line}: ${reason}`);
  if (counts.bad > counts.badLines.length) {
    out.push(`    … ${n(counts.bad - counts.badLines.length)} more; by reason: ${Object.entries(counts.badReasons).map(([reason, count]) => `${reason} ${n(count)}`).join(', ')}`);
  }
  return out.join('\n');
}

import type { Config } from '@tokumei/config';
import type { CheckResult, CnilCriterion } from './report.js';
import type { LiveColumn } from './schema.js';

/** Column names that would mean geography finer than a city, or a location at all beyond the country. */
const FINE_GEO = /^(lat|latitude|lon|lng|longitude|geo_?hash|postal|postcode|zip|street|address|ip|ip_?prefix|district|region|city)$/i;

/**
 * A self-assessment against the CNIL's conditions for audience measurement exempt from consent (deliberation
 * 2020-091 and its guidance): what Tokumei's configuration and the checks above show for each. "operator" marks
 * what only the site's operator can assure.
 */
export function cnilAssessment(config: Pick<Config, 'aggregatesTtlMonths' | 'eventsTtlDays' | 'minVisitors' | 'privacy'>, checks: readonly CheckResult[], columns: readonly LiveColumn[]): CnilCriterion[] {
  const passed = (id: string) => checks.find((c) => c.id === id)?.status === 'pass';
  const retention = checks.find((c) => c.id === 'retention');
  const canary = checks.find((c) => c.id === 'canary');
  const longest = Math.max(config.aggregatesTtlMonths, Math.ceil(config.eventsTtlDays / 31));
  const geoColumns = columns.filter((c) => FINE_GEO.test(c.name)).map((c) => `${c.table}.${c.name}`);
  const crossSite = canary?.evidence.find((e) => e.startsWith('cross-site:'));
  return [
    {
      criterion: 'Data kept no longer than 25 months',
      status: longest <= 25 && retention?.status === 'pass' ? 'met' : 'not met',
      evidence: `per-event rows ${config.eventsTtlDays} days, aggregates ${config.aggregatesTtlMonths} months, enforced by ClickHouse TTLs (retention check: ${retention?.status ?? 'not run'})`,
    },
    {
      criterion: 'No identifier that follows a person across sites or over time',
      status: passed('inventory') && passed('salt-lifecycle') && !canary?.findings.some((f) => f.column === 'visitor') ? 'met' : 'not met',
      evidence: `session and visitor hashes are keyed with the site and a random salt per UTC day, destroyed after ${24 + config.privacy.saltGraceMs / 3_600_000} h; no cookie or storage beyond the tab. ${crossSite ?? 'Run with --canary to test two sites empirically.'}`,
    },
    {
      criterion: 'Geography no finer than the city',
      status: geoColumns.length === 0 ? 'met' : 'not met',
      evidence: geoColumns.length === 0
        ? `only a country code is stored (${config.privacy.geo === 'off' ? 'geography is off' : 'looked up from the IP, which is then discarded'})`
        : `columns that may hold finer locations: ${geoColumns.join(', ')}`,
    },
    {
      criterion: 'Statistics only: aggregated, not combined with other processing, not passed to third parties',
      status: passed('inventory') && passed('content-scan') ? 'operator' : 'not met',
      evidence: `every stored column is declared with a statistical or operational purpose; the stats API serves aggregates only and folds rows below ${config.minVisitors} visitors into "(other)". That the data is not combined with other processing or shared is the operator's to assure.`,
    },
    {
      criterion: 'Visitors are informed and can object',
      status: 'operator',
      evidence: 'the tracker honours Do Not Track and Global Privacy Control; the privacy policy must describe the measurement and the way to object',
    },
  ];
}

import { inspectJournal, journalDir, journalMaxBytes } from '@tokumei/bus';
import type { Config } from '@tokumei/config';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';

export type JournalCheckConfig = Pick<Config, 'dataDir' | 'rawRetentionMs' | 'busMaxPending' | 'bodyLimit'>;

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
}

function mode(bits: number): string {
  return `0${bits.toString(8)}`;
}

/**
 * The embedded journal holds raw records (addresses, user agents) on disk until the worker stored them. Its frame
 * headers are readable without a key, so the audit checks from them alone that nothing in it is older than the raw
 * retention, that it stays within its size bound, and that only this user can read it. The records themselves are
 * encrypted under a key derived from the day's salt: the audit neither has nor needs it.
 */
export function journalCheck(config: JournalCheckConfig, now: number): CheckResult {
  const stat = inspectJournal(journalDir(config.dataDir));
  const evidence: string[] = [];
  const findings: Finding[] = [];
  const limit = journalMaxBytes(config);
  if (!stat.exists) {
    evidence.push(`${stat.dir} does not exist: no raw record was ever written to disk here (Kafka mode, or never started)`);
  } else {
    const bytes = stat.segments.reduce((n, s) => n + s.bytes, 0);
    const records = stat.segments.reduce((n, s) => n + s.records, 0);
    const oldest = stat.segments.reduce<number | undefined>((min, s) => (s.oldest === undefined ? min : Math.min(min ?? s.oldest, s.oldest)), undefined);
    evidence.push(`${stat.dir}: mode ${mode(stat.dirMode ?? 0)}, ${stat.segments.length} segment file(s), ${bytes} bytes, ${records} record(s) `
      + `not yet deleted (the worker stored or is storing them); at most ${limit} bytes allowed`);
    evidence.push(oldest === undefined ? 'no record on disk'
      : `oldest record written ${duration(Math.max(0, now - oldest))} ago; the raw retention (TOKUMEI_RAW_RETENTION_MS) is ${duration(config.rawRetentionMs)}`);
    if ((stat.dirMode ?? 0) !== 0o700) findings.push({ location: stat.dir, message: `the journal directory has mode ${mode(stat.dirMode ?? 0)}, not 0700` });
    for (const segment of stat.segments) {
      if (segment.mode !== 0o600) findings.push({ location: segment.file, message: `journal segment has mode ${mode(segment.mode)}, not 0600` });
      if (segment.oldest !== undefined && now - segment.oldest > config.rawRetentionMs) {
        findings.push({ location: segment.file, message: `journal segment holds raw records written ${duration(now - segment.oldest)} ago, longer than the raw retention of ${duration(config.rawRetentionMs)}` });
      }
    }
    if (bytes > limit) findings.push({ location: stat.dir, message: `the journal holds ${bytes} bytes, more than its bound of ${limit}` });
  }
  return check({
    id: 'journal',
    title: 'Raw records on disk are encrypted, private to the service, and deleted on time',
    promise: PROMISES.deletion,
    scope: 'the embedded mode\'s journal of raw records in the data directory',
    method: 'Each segment file\'s plain frame headers (write time, record count) and file modes are read; the records are encrypted '
      + '(AES-256-GCM, key derived from the day\'s salt) and are not decrypted. Ages are compared with the raw retention, the size with the bound.',
    evidence,
    findings,
  });
}

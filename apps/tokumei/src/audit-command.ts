import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { renderMarkdown, withUniquenessThreshold, type AuditReport } from '@tokumei/audit';
import { createBus } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';
import { createLogger, loadConfig, type Config, type Logger } from '@tokumei/config';
import { createStoreClient } from '@tokumei/store';
import { createAuditRunner } from './audit-service.js';
import { findRunningInstance, type InstanceInfo } from './instance.js';
import { startTokumei } from './runtime.js';

export const AUDIT_USAGE = `Usage: tokumei audit [--canary] [--json] [--lang en|ja] [--out FILE] [--days N] [--ingest URL] [--max-unique SHARE]

Checks that nothing identifying is stored and that deletion happens when promised. Prints a Markdown report
(--json: the JSON report); --out writes it to FILE instead. Exit code 0 only when every check passes.

  --canary      send beacons with unique random identifiers through the pipeline and search for them everywhere
  --days N      days of salt lifecycle to list (default 14)
  --ingest URL  send canary beacons to this ingest, client address in X-Forwarded-For (it must trust this host)
  --lang LANG   language of the Markdown report: en (default) or ja
  --max-unique SHARE
                fail when more than SHARE (0 to 1) of events rows are unique on the quasi-identifiers
                (reported as a number otherwise)`;

interface AuditArgs {
  readonly canary: boolean;
  readonly json: boolean;
  readonly out: string | undefined;
  readonly days: number | undefined;
  readonly ingest: string | undefined;
  readonly lang: 'en' | 'ja';
  readonly maxUnique: number | undefined;
}

function parse(argv: readonly string[]): AuditArgs {
  const { values } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: {
      canary: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, days: { type: 'string' }, ingest: { type: 'string' },
      lang: { type: 'string' }, 'max-unique': { type: 'string' },
    },
  });
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 800)) throw new TokumeiError('TKM_BAD_REQUEST', '--days must be an integer from 1 to 800');
  if (values.ingest !== undefined && !/^https?:\/\//.test(values.ingest)) throw new TokumeiError('TKM_BAD_REQUEST', '--ingest must be an http(s) URL');
  const lang = values.lang ?? 'en';
  if (lang !== 'en' && lang !== 'ja') throw new TokumeiError('TKM_BAD_REQUEST', '--lang must be en or ja');
  const maxUnique = values['max-unique'] === undefined ? undefined : Number(values['max-unique']);
  if (maxUnique !== undefined && !(maxUnique >= 0 && maxUnique <= 1)) throw new TokumeiError('TKM_BAD_REQUEST', '--max-unique must be a number from 0 to 1');
  return { canary: values.canary === true, json: values.json === true, out: values.out, days, ingest: values.ingest, lang, maxUnique };
}

/** chDB allows one process per data directory: while `tokumei start` runs, it runs the audit. */
async function askInstance(instance: InstanceInfo & { api: string }, args: AuditArgs): Promise<AuditReport> {
  const response = await fetch(`${instance.api}/internal/audit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${instance.controlToken}` },
    body: JSON.stringify({ canary: args.canary, days: args.days, ingest: args.ingest }),
  });
  const body = await response.json() as AuditReport & { error?: { code: string; message: string } };
  if (!response.ok) throw new TokumeiError('TKM_INTERNAL', `the running instance (pid ${instance.pid}) answered ${response.status}: ${body.error?.message ?? 'no message'}`);
  return body;
}

/** Nothing runs: the audit opens the store itself, and for a canary in embedded mode starts the pipeline briefly. */
async function runHere(config: Config, logger: Logger, args: AuditArgs, instance: InstanceInfo | undefined): Promise<AuditReport> {
  const embedded = config.kafka === undefined && config.clickhouseUrl === undefined;
  if (args.canary && args.ingest === undefined && embedded) {
    // The canary must go through a real pipeline: run one on this data directory for the length of the audit.
    const running = await startTokumei({ ...config, ingestPort: 0, apiPort: 0, host: '127.0.0.1' }, logger);
    try {
      if (running.audit === undefined) throw new TokumeiError('TKM_INTERNAL', 'the pipeline started without a store');
      return await running.audit.run({ canary: true, days: args.days });
    } finally {
      await running.stop();
    }
  }
  const store = await createStoreClient(config);
  const bus = createBus(config, logger);
  try {
    const runner = createAuditRunner({ config, store, bus, logger, ranIn: 'command' });
    return await runner.run({ canary: args.canary, days: args.days, ingest: args.ingest ?? (args.canary ? instance?.ingest : undefined) });
  } finally {
    await bus.close();
    await store.close();
  }
}

export async function auditCommand(argv: readonly string[]): Promise<void> {
  const args = parse(argv);
  const config = loadConfig();
  // Standard output carries the report: log lines go to standard error (and TOKUMEI_LOG_FILE).
  const logger = createLogger({ level: config.logLevel, destination: process.stderr, file: config.logFile });
  const instance = findRunningInstance(config.dataDir);
  // The threshold is applied here, so it holds the same for a report a running instance made.
  const report = withUniquenessThreshold(instance?.api !== undefined
    ? await askInstance({ ...instance, api: instance.api }, args)
    : await runHere(config, logger, args, instance), args.maxUnique);
  const text = args.json ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report, { lang: args.lang });
  if (args.out === undefined) process.stdout.write(text);
  else {
    fs.writeFileSync(args.out, text);
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    process.stderr.write(`tokumei audit: ${report.passed ? 'every check passed' : `failed: ${failed.join(', ')}`}; report written to ${args.out}\n`);
  }
  logger.flush();
  process.exitCode = report.passed ? 0 : 1;
}

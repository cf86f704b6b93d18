import { parseArgs } from 'node:util';
import { isTokumeiError } from '@tokumei/errors';

// Every command is imported when it runs, never here: `tokumei --help` must not load fastify, kafkajs or chDB,
// and `policy` needs nothing but the field policy.

const USAGE = `Usage: tokumei <command> [options]

Commands:
  start     run the roles in TOKUMEI_ROLES (default: all, embedded mode)
  migrate   create or update the ClickHouse tables, then exit
  policy    print the field policy: every stored column, its source, transform and purpose (--json for JSON)
  import    import web-server access logs through the same privacy engine (tokumei import --help)
  audit     privacy audit: nothing identifying stored, deletion on time (tokumei audit --help)

Configuration comes from environment variables; see README.md.`;

async function start(): Promise<void> {
  const [{ loadConfig, createLogger }, { startTokumei }] = await Promise.all([import('@tokumei/config'), import('./runtime.js')]);
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, file: config.logFile });
  const running = await startTokumei(config, logger);
  const lines = [`Tokumei is running (${running.mode} mode, roles: ${[...config.roles].join(', ')})`];
  if (running.urls.ingest !== undefined) lines.push(`  beacons:   POST ${running.urls.ingest}/collect`);
  if (running.urls.api !== undefined) {
    lines.push(`  stats API: ${running.urls.api}/api/stats/summary?site=example.com`);
    lines.push(`  dashboard: ${running.urls.api}/`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  const EXIT_GRACE_MS = 2000;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    logger.info({ signal }, 'stopping: draining the bus and the worker');
    void running.stop().then(() => {
      logger.flush();
      process.exitCode = 0;
      // Everything is stored and closed; a client library's lingering socket or timer must not keep the process up.
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function migrateCommand(): Promise<void> {
  const [{ loadConfig, createLogger }, { createStoreClient, migrate }] = await Promise.all([import('@tokumei/config'), import('@tokumei/store')]);
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const store = await createStoreClient(config);
  try {
    const result = await migrate(store.client, config, logger);
    process.stdout.write(result.applied.length === 0
      ? `schema is up to date (version ${result.current})\n`
      : `applied ${result.applied.join(', ')} (now at version ${result.current})\n`);
  } finally {
    await store.close();
  }
}

async function policyCommand(json: boolean): Promise<void> {
  const { FIELD_POLICY, renderFieldPolicy } = await import('@tokumei/privacy/field-policy');
  process.stdout.write(json ? `${JSON.stringify(FIELD_POLICY, null, 2)}\n`
    : `# What Tokumei stores\n\nAnything not listed here never reaches ClickHouse.\n\n${renderFieldPolicy()}`);
}

async function main(argv: string[]): Promise<void> {
  // import has options of its own (and its own --help and exit codes), so it parses its arguments itself.
  if (argv[0] === 'import') {
    const { importCommand } = await import('./import-command.js');
    process.exitCode = await importCommand(argv.slice(1));
    return;
  }
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } });
  const command = positionals[0];
  if ((values.help === true && command !== 'audit') || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  switch (command) {
    case 'start': return start();
    case 'migrate': return migrateCommand();
    case 'policy': return policyCommand(values.json === true);
    case 'audit': {
      const { AUDIT_USAGE, auditCommand } = await import('./audit-command.js');
      if (values.help === true) return void process.stdout.write(`${AUDIT_USAGE}\n`);
      return auditCommand(argv.slice(argv.indexOf('audit') + 1));
    }
    default:
      process.stderr.write(`tokumei: unknown command "${command}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = isTokumeiError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`tokumei: ${message}\n`);
  process.exitCode = 1;
});

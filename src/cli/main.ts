#!/usr/bin/env node
// tollgate's command line: `start` runs the processor, `migrate` applies ledger migrations,
// `rate` prices events offline, `config` prints the effective settings.
import { ConfigError } from '../errors/tollgate-error.js';
import { loadSettings } from '../config/settings.js';

const usage = `usage: tollgate <command> [options]

commands:
  start                 run the processor (Kafka consumer, HTTP API, metrics)
  demo [--events N] [--keep-running]
                        run the processor and drive a synthetic load through it, then
                        summarise balances and ledger totals
  keys create --role admin|company|dialer [--company id] [--label text] | list | revoke <id>
                        manage API keys (the token is shown once, at creation)
  reconcile             compare every wallet in Redis with the ledger; exit 1 on drift
  migrate               create the database if needed and apply ledger migrations
  rate --plan <file> [events.ndjson]
                        price usage events offline, one JSON line out per line in
  config                print the effective settings (secrets redacted)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start': {
      const { runStart } = await import('./start-command.js');
      return runStart(loadSettings());
    }
    case 'demo': {
      const { runDemo } = await import('./demo-command.js');
      return runDemo(args, loadSettings());
    }
    case 'keys': {
      const { runKeysCommand } = await import('./keys-command.js');
      return runKeysCommand(args, loadSettings());
    }
    case 'reconcile': {
      const { runReconcile } = await import('./reconcile-command.js');
      return runReconcile(loadSettings());
    }
    case 'migrate': {
      const { runMigrate } = await import('./migrate-command.js');
      return runMigrate(loadSettings());
    }
    case 'rate': {
      const { runRateCommand } = await import('./rate-command.js');
      return runRateCommand(args, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    }
    case 'config': {
      const s = loadSettings();
      const shown = { ...s, postgres: { url: s.postgres.url.replace(/:[^:@/]*@/, ':***@') } };
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tollgate: unknown command "${command}"\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`tollgate: ${err.message}\n`);
      process.exitCode = 78; // EX_CONFIG
    } else {
      process.stderr.write(
        `tollgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    }
  },
);

import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../logging.js';
import { classifyError } from '../classify-error.js';
import { ConfigurationError, describeError, PermanentError } from '../errors.js';
import { registerSnapshotCommand } from './commands/snapshot.js';
import { registerSinkCommands } from './commands/sink.js';
import { registerSourceCommand } from './commands/source.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerInitCommand } from './commands/init.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerSyncCommand } from './commands/sync.js';
import { registerIndexesCommand } from './commands/indexes.js';
import { registerStatusCommand } from './commands/status.js';
import { SLUICE_VERSION } from '../version.js';

/**
 * Exit codes of the sluice command: 0 success; 1 an unexpected failure (a bug, or an error sluice
 * does not recognise); 2 usage or configuration error (nothing was started); 3 a permanent error
 * at run time: a service refused the work for a reason retrying cannot fix (credentials,
 * privileges, a column or table dropped under a document, a mapping refused). Nothing of the
 * failed work was committed: start again after the fix and nothing is lost.
 */
export const EXIT_CODES = { ok: 0, failure: 1, usage: 2, permanent: 3 } as const;

/** Builds the `sluice` command tree. Subcommands register here as they are added. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description(
      'Keeps Elasticsearch documents in step with a MySQL/MariaDB database: binlog -> Kafka -> documents -> Elasticsearch.',
    )
    .version(SLUICE_VERSION, '-V, --version', 'print the version of sluice')
    .helpOption('-h, --help', 'show this help')
    .addOption(new Option('--log-level <level>', 'log level of every command (overrides SLUICE_LOG_LEVEL)').choices(LOG_LEVELS))
    .hook('preAction', (command) => {
      const level = command.opts<{ logLevel?: string }>().logLevel;
      if (level !== undefined) process.env.SLUICE_LOG_LEVEL = level;
    })
    .showHelpAfterError('(run sluice --help for the commands)')
    .addHelpText(
      'after',
      '\nEnvironment:\n  SLUICE_MYSQL_URL      mysql://user:password@host:port of the source database\n  SLUICE_KAFKA_BROKERS  comma-separated Kafka brokers (host:port)\n  SLUICE_ES_NODE        Elasticsearch URL\n  SLUICE_LOG_LEVEL      trace|debug|info|warn|error (default info)\n  SLUICE_LOG_FORMAT     json|pretty (default: pretty on a terminal, JSON otherwise)\n',
    );
  registerValidateCommand(program);
  registerInitCommand(program);
  registerReplayCommand(program);
  registerSourceCommand(program);
  registerSnapshotCommand(program);
  registerSinkCommands(program);
  registerSyncCommand(program);
  registerIndexesCommand(program);
  registerStatusCommand(program);
  return program;
}

/**
 * Runs the CLI with `argv` (as in process.argv) and resolves to the process exit code:
 * 0 on success, 2 for usage and configuration errors (nothing was started), 3 for permanent
 * errors at run time (what broke, where and the fix are printed), 1 otherwise.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpOrVersion = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return helpOrVersion ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof ConfigurationError) {
      process.stderr.write(`sluice: ${error.message}\n  fix: ${error.fix}\n`);
      return EXIT_CODES.usage;
    }
    const verdict = classifyError(error);
    if (verdict.kind === 'permanent' && verdict.fix !== undefined) {
      const where = error instanceof PermanentError && error.where !== undefined ? `  where: ${error.where}\n` : '';
      process.stderr.write(`sluice: stopped: ${error instanceof PermanentError ? error.message : describeError(error)}\n${where}  fix: ${verdict.fix}\n`);
      return EXIT_CODES.permanent;
    }
    process.stderr.write(`sluice: ${describeError(error)}\n`);
    return EXIT_CODES.failure;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // a finished command leaves nothing to wait for: exit even if a client library keeps a handle open
  process.exit(await main(process.argv));
}

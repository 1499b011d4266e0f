import type { Command } from 'commander';
import type { InitCommandOptions } from '../../pipeline/run-init.js';

/** Adds `sluice init --from <mysql url> --root db.table [--depth N] [-o FILE]`. */
export function registerInitCommand(program: Command): Command {
  return program
    .command('init')
    .description('propose a pipeline file from the foreign keys of a live database: one document rooted at a table, its relations to a depth')
    .requiredOption('--from <url>', 'the database to read: mysql://user:password@host:port')
    .requiredOption('--root <db.table>', 'the root table: one document per row')
    .option('--depth <n>', 'how many relations deep to follow foreign keys (0 to 4)', '1')
    .option('-o, --output <file>', 'write the file here (it must not exist) instead of to stdout')
    .exitOverride()
    .action(async (options: InitCommandOptions) => {
      const { runInit } = await import('../../pipeline/run-init.js');
      const text = await runInit(options);
      if (options.output === undefined) process.stdout.write(text);
      else process.stderr.write(`sluice: wrote ${options.output}; check it with: sluice validate -c ${options.output}\n`);
    });
}

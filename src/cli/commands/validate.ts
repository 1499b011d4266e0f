import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { redactPipelineConfig } from '../../config/pipeline-config.js';

/**
 * Adds `sluice validate -c <file>`: loads the pipeline file and prints it normalized (every default
 * applied, passwords redacted) as YAML, then "config OK". A problem in the file is thrown as a
 * ConfigurationError, which `main()` prints with its fix and turns into exit code 2.
 */
export function registerValidateCommand(program: Command): Command {
  return program
    .command('validate')
    .description('check a pipeline file and print it with every default applied')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    // main() sets exitOverride on the root after the tree is built, which subcommands do not
    // inherit: without this a usage error here would call process.exit instead of returning 2.
    .exitOverride()
    .action((options: { config: string }) => {
      const config = loadPipelineConfig(options.config);
      process.stdout.write(`${stringify(redactPipelineConfig(config))}# config OK: ${options.config}\n`);
    });
}

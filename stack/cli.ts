import { Command, CommanderError } from 'commander';
import { ENDPOINT_VARIABLES } from '../src/config/endpoints.js';
import { describeError } from '../src/errors.js';
import { createStackContext, LOCAL_SERVICES, stackDown, stackStatus, stackUp, type ServiceReport } from './stack.js';
import { formatReports } from './report.js';
import type { LocalService } from './service.js';
import { StackError } from './stack-error.js';

/** The services named on the command line (all when none), refusing unknown names. */
function selectServices(names: readonly string[]): readonly LocalService[] {
  const unknown = names.filter((name) => !LOCAL_SERVICES.some((service) => service.name === name));
  if (unknown.length > 0) throw new StackError('stack', `unknown service ${unknown.join(', ')}`, `use ${LOCAL_SERVICES.map((s) => s.name).join(', ')}`);
  return names.length === 0 ? LOCAL_SERVICES : LOCAL_SERVICES.filter((service) => names.includes(service.name));
}

async function main(argv: readonly string[]): Promise<number> {
  const context = createStackContext();
  const endpoints = {
    [ENDPOINT_VARIABLES.mysqlUrl]: context.endpoints.mysqlUrl,
    [ENDPOINT_VARIABLES.kafkaBrokers]: context.endpoints.kafkaBrokers.join(','),
    [ENDPOINT_VARIABLES.elasticsearchNode]: context.endpoints.elasticsearchNode,
    [ENDPOINT_VARIABLES.opensearchNode]: context.endpoints.opensearchNode,
  };
  const print = (reports: readonly ServiceReport[]): void => {
    process.stdout.write(formatReports(reports, endpoints));
  };
  const program = new Command('stack')
    .description(`The local MariaDB, Kafka, Elasticsearch and OpenSearch (no Docker). State lives in ${context.stackDir}.`)
    .exitOverride();
  program
    .command('up')
    .description('start (or reuse) every service, wait until healthy, print the connection settings')
    .argument('[services...]', `a subset of: ${LOCAL_SERVICES.map((service) => service.name).join(', ')}`)
    .action(async (names: string[]) => {
      print(await stackUp(context, selectServices(names)));
    });
  program
    .command('down')
    .description('stop the services this stack started (never others)')
    .argument('[services...]', `a subset of: ${LOCAL_SERVICES.map((service) => service.name).join(', ')}`)
    .option('--purge', 'also delete their data (downloads stay cached)')
    .action(async (names: string[], options: { purge?: boolean }) => print(await stackDown(context, { ...options, services: selectServices(names) })));
  program
    .command('status')
    .description('show how each service stands; exit 1 when one is not healthy')
    .action(async () => {
      const reports = await stackStatus(context);
      print(reports);
      if (reports.some((report) => report.state === 'unhealthy' || report.state === 'not running')) process.exitCode = 1;
    });
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`stack: ${error instanceof StackError ? error.message : describeError(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);

/**
 * `npm run demo`: brings the local stack up (or uses the services named by SLUICE_*), loads the
 * Sakila sample database into MariaDB when it is not there yet, captures it into Kafka with the
 * pipeline of examples/sakila/pipeline.yml (snapshot, then the binlog), makes one live change and
 * prints that change event as read back from Kafka.
 */
import { createConnection } from 'mysql2/promise';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { fileURLToPath } from 'node:url';
import { logLevel } from 'kafkajs';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { describeError } from '../../src/errors.js';
import { createKafka } from '../../src/streams/kafka-client.js';
import { captureAndShowAChange, topicCounts } from './capture-demo.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, stackUp } from '../../stack/stack.js';
import { loadSakila, sakilaCounts } from './load-sakila.js';

async function demo(): Promise<void> {
  const context = createStackContext();
  process.stdout.write('sluice demo: starting the local stack\n');
  process.stdout.write(formatReports(await stackUp(context), {}));

  const connection = await createConnection(mysqlConnectionOptions(context.endpoints.mysqlUrl));
  try {
    let counts = await sakilaCounts(connection);
    if (counts?.film !== 1000) {
      process.stdout.write('sluice demo: loading the Sakila sample database\n');
      const started = Date.now();
      await loadSakila(context.endpoints.mysqlUrl);
      counts = await sakilaCounts(connection);
      process.stdout.write(`sluice demo: Sakila loaded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      process.stdout.write('sluice demo: Sakila is already loaded\n');
    }
    const [position] = await connection.query('SELECT @@gtid_binlog_pos AS gtid');
    process.stdout.write(
      [
        '',
        'sakila now holds:',
        ...Object.entries(counts ?? {}).map(([table, count]) => `  ${table.padEnd(12)}${String(count).padStart(7)} rows`),
        `binlog position (GTID): ${(position as Array<{ gtid: string }>)[0]?.gtid ?? 'unknown'}`,
        '',
      ].join('\n'),
    );
    const config = loadPipelineConfig(fileURLToPath(new URL('pipeline.yml', import.meta.url)));
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'sluice-demo', logLevel: logLevel.NOTHING });
    process.stdout.write('\nsluice demo: capturing sakila into Kafka (snapshot, then the binlog)\n');
    const started = Date.now();
    const change = await captureAndShowAChange(kafka, config, connection);
    const messages = await topicCounts(kafka, config.kafka.topicPrefix ?? config.pipeline);
    process.stdout.write(
      [
        `captured in ${((Date.now() - started) / 1000).toFixed(1)} s; messages per topic:`,
        ...messages.map(([topic, count]) => `  ${topic.padEnd(34)}${String(count).padStart(7)}`),
        '',
        'a live change (UPDATE sakila.film ... WHERE film_id = 1), read back from Kafka:',
        JSON.stringify({ op: change.op, before: { description: change.before?.description }, after: { film_id: change.after?.film_id, title: change.after?.title, description: change.after?.description }, source: change.source, transaction: change.transaction }, null, 2),
        '',
        'Run the capture yourself: npm run sluice -- source -c examples/sakila/pipeline.yml',
        'Stop the services with:   npm run stack -- down',
        '',
      ].join('\n'),
    );
  } finally {
    await connection.end();
  }
}

demo().catch((error: unknown) => {
  process.stderr.write(`sluice demo: ${describeError(error)}\n`);
  process.exitCode = 1;
});

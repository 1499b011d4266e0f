/**
 * Debezium Server (3.x, MariaDB connector, Kafka sink to the stack's Kafka) on one database of
 * the benchmark's MariaDB. Its offsets and schema history live in files of its run folder, so a
 * stop and a start continue where it stopped: the bench starts it once to record the position
 * (snapshot.mode=no_data: schema only, no rows), stops it, writes the backlog, and starts it again
 * to measure the capture of that backlog. Values are Debezium's default JSON (with schemas).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpoints, mysqlOptions, waitUntil } from '../lib/services.js';
import { PeerProcess } from './peer-process.js';

/** Where Debezium Server is installed and the Java that runs it. */
export interface DebeziumInstall {
  readonly home: string;
  readonly java: string;
  readonly version: string;
}

/** One Debezium Server capturing `database` into topics `<prefix>.<database>.<table>`. */
export interface DebeziumSettings {
  readonly database: string;
  readonly prefix: string;
  /** Its folder: config/application.properties, offsets, schema history, log. */
  readonly runDirectory: string;
  readonly serverId: number;
  /** Quarkus's HTTP port (health endpoints). */
  readonly httpPort: number;
}

/** Writes config/application.properties of a run folder. */
export function writeDebeziumConfig(settings: DebeziumSettings): void {
  const config = join(settings.runDirectory, 'config');
  mkdirSync(config, { recursive: true });
  const data = join(settings.runDirectory, 'data');
  mkdirSync(data, { recursive: true });
  const properties: Record<string, string | number> = {
    'debezium.sink.type': 'kafka',
    'debezium.sink.kafka.producer.bootstrap.servers': endpoints.kafkaBrokers.join(','),
    'debezium.sink.kafka.producer.key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'debezium.sink.kafka.producer.value.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'debezium.source.connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'debezium.source.offset.storage.file.filename': join(data, 'offsets.dat'),
    'debezium.source.offset.flush.interval.ms': 1000,
    'debezium.source.database.hostname': String(mysqlOptions.host ?? '127.0.0.1'),
    'debezium.source.database.port': Number(mysqlOptions.port ?? 3306),
    'debezium.source.database.user': String(mysqlOptions.user ?? 'root'),
    'debezium.source.database.password': String(mysqlOptions.password ?? ''),
    'debezium.source.database.server.id': settings.serverId,
    'debezium.source.topic.prefix': settings.prefix,
    'debezium.source.database.include.list': settings.database,
    'debezium.source.snapshot.mode': 'no_data',
    'debezium.source.schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory',
    'debezium.source.schema.history.internal.file.filename': join(data, 'schema-history.dat'),
    'quarkus.http.port': settings.httpPort,
    'quarkus.log.console.json': 'false',
  };
  writeFileSync(join(config, 'application.properties'), Object.entries(properties).map(([key, value]) => `${key}=${value}\n`).join(''));
}

/** Starts Debezium Server in its run folder (its config must be written); resolves once it streams the binlog. */
export async function startDebezium(install: DebeziumInstall, settings: DebeziumSettings, timeoutMs: number): Promise<PeerProcess> {
  const classpath = [join(install.home, `debezium-server-dist-${install.version}-runner.jar`), join(install.home, 'config', 'lib'), join(install.home, 'lib', '*')].join(':');
  const process = new PeerProcess('Debezium Server', install.java, ['--add-opens', 'java.base/java.lang=ALL-UNNAMED', '-cp', classpath, 'io.debezium.server.Main'], {
    cwd: settings.runDirectory,
  });
  const connected = process.watchFor('Connected to binlog at');
  try {
    await waitUntil(
      () => {
        process.assertRunning();
        return Promise.resolve(connected());
      },
      { timeoutMs, intervalMs: 250, description: 'Debezium Server to connect to the binlog' },
    );
  } catch (error) {
    await process.stop(5_000);
    throw new Error(`${error instanceof Error ? error.message : String(error)}; its last output: ${process.tail(1_500)}`, { cause: error });
  }
  return process;
}

/**
 * Where the services are: the local stack's addresses by default, or the ones named by
 * environment variables (SLUICE_MYSQL_URL, SLUICE_KAFKA_BROKERS, SLUICE_ES_NODE, SLUICE_OS_NODE).
 * The CLI, the tests and the stack command all read them here, so one export points everything
 * elsewhere.
 */
export interface ServiceEndpoints {
  /** A mysql:// URL with user and password, e.g. mysql://sluice:sluice@127.0.0.1:13306 */
  readonly mysqlUrl: string;
  /** Kafka bootstrap brokers as host:port. */
  readonly kafkaBrokers: readonly string[];
  /** The Elasticsearch HTTP node URL. */
  readonly elasticsearchNode: string;
  /** The OpenSearch HTTP node URL. */
  readonly opensearchNode: string;
}

/** The environment variable behind each endpoint. */
export const ENDPOINT_VARIABLES = {
  mysqlUrl: 'SLUICE_MYSQL_URL',
  kafkaBrokers: 'SLUICE_KAFKA_BROKERS',
  elasticsearchNode: 'SLUICE_ES_NODE',
  opensearchNode: 'SLUICE_OS_NODE',
} as const;

/** The local stack's ports (also published by docker-compose.yml). */
export const LOCAL_STACK_PORTS = {
  mariadb: 13306,
  kafka: 19092,
  kafkaController: 19093,
  /** Kafka's SASL_SSL listener (TLS with the stack's CA, SCRAM-SHA-256/512 and PLAIN users). */
  kafkaSecure: 19094,
  elasticsearch: 19200,
  elasticsearchTransport: 19300,
  opensearch: 19201,
  opensearchTransport: 19301,
} as const;

/** The endpoints of the local stack (`npm run stack -- up`). */
export const LOCAL_STACK_ENDPOINTS: ServiceEndpoints = {
  mysqlUrl: `mysql://sluice:sluice@127.0.0.1:${LOCAL_STACK_PORTS.mariadb}`,
  kafkaBrokers: [`127.0.0.1:${LOCAL_STACK_PORTS.kafka}`],
  elasticsearchNode: `http://127.0.0.1:${LOCAL_STACK_PORTS.elasticsearch}`,
  opensearchNode: `http://127.0.0.1:${LOCAL_STACK_PORTS.opensearch}`,
};

/** The endpoints in force: each environment variable that is set and non-empty wins. */
export function endpointsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEndpoints {
  const mysqlUrl = nonEmpty(env[ENDPOINT_VARIABLES.mysqlUrl]);
  const brokers = nonEmpty(env[ENDPOINT_VARIABLES.kafkaBrokers]);
  const node = nonEmpty(env[ENDPOINT_VARIABLES.elasticsearchNode]);
  const opensearchNode = nonEmpty(env[ENDPOINT_VARIABLES.opensearchNode]);
  return {
    mysqlUrl: mysqlUrl ?? LOCAL_STACK_ENDPOINTS.mysqlUrl,
    kafkaBrokers: brokers === undefined ? LOCAL_STACK_ENDPOINTS.kafkaBrokers : parseBrokerList(brokers),
    elasticsearchNode: node ?? LOCAL_STACK_ENDPOINTS.elasticsearchNode,
    opensearchNode: opensearchNode ?? LOCAL_STACK_ENDPOINTS.opensearchNode,
  };
}

/** Splits "host1:9092, host2:9092" into its brokers. */
export function parseBrokerList(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

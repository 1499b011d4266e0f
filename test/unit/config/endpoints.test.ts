import { describe, expect, it } from 'vitest';
import { endpointsFromEnvironment, LOCAL_STACK_ENDPOINTS, parseBrokerList } from '../../../src/config/endpoints.js';

describe('endpointsFromEnvironment', () => {
  it('defaults to the local stack', () => {
    expect(endpointsFromEnvironment({})).toEqual(LOCAL_STACK_ENDPOINTS);
  });

  it('takes each SLUICE_* variable that is set and ignores blank ones', () => {
    const endpoints = endpointsFromEnvironment({
      SLUICE_MYSQL_URL: 'mysql://u:p@db:3306',
      SLUICE_KAFKA_BROKERS: 'k1:9092, k2:9092,',
      SLUICE_ES_NODE: '  ',
      SLUICE_OS_NODE: 'https://os:9200',
    });
    expect(endpoints).toEqual({
      mysqlUrl: 'mysql://u:p@db:3306',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      elasticsearchNode: LOCAL_STACK_ENDPOINTS.elasticsearchNode,
      opensearchNode: 'https://os:9200',
    });
  });

  it('splits broker lists', () => {
    expect(parseBrokerList(' a:1 ,,b:2 ')).toEqual(['a:1', 'b:2']);
  });
});

import { describe, expect, it } from 'vitest';
import { LOCAL_STACK_ENDPOINTS } from '../../../src/config/endpoints.js';
import { formatReports } from '../../../stack/report.js';
import { StackError } from '../../../stack/stack-error.js';
import { isExternal, LOCAL_SERVICES } from '../../../stack/stack.js';

describe('stack messages', () => {
  it('name the service, its log file, the fix and the end of the log', () => {
    const error = new StackError('kafka', 'exited with code 1 while starting', 'read the log', {
      logFile: '/s/kafka/kafka.log',
      logTail: 'line 1\nAddress already in use\n',
    });
    expect(error.message.split('\n')).toEqual([
      'kafka: exited with code 1 while starting',
      '  log: /s/kafka/kafka.log',
      '  fix: read the log',
      '  last lines of the log:',
      '    line 1',
      '    Address already in use',
    ]);
  });

  it('print each service, its state, endpoint, log and warnings, then the exports', () => {
    const text = formatReports(
      [{ service: 'elasticsearch', state: 'started', endpoint: 'http://127.0.0.1:19200', pid: 42, logFile: '/s/es.log', warnings: ['module reindex missing'] }],
      { SLUICE_ES_NODE: 'http://127.0.0.1:19200' },
    );
    expect(text).toContain('elasticsearch started  http://127.0.0.1:19200  (pid 42)');
    expect(text).toContain('log: /s/es.log');
    expect(text).toContain('warning: module reindex missing');
    expect(text).toContain('export SLUICE_ES_NODE=http://127.0.0.1:19200');
  });

  it('treat a service as external only when its variable points elsewhere', () => {
    const elsewhere = { ...LOCAL_STACK_ENDPOINTS, kafkaBrokers: ['broker:9092'] };
    expect(LOCAL_SERVICES.map((service) => [service.name, isExternal(service, elsewhere)])).toEqual([
      ['mariadb', false],
      ['kafka', true],
      ['elasticsearch', false],
      ['opensearch', false],
    ]);
    expect(isExternal(LOCAL_SERVICES[3], { ...LOCAL_STACK_ENDPOINTS, opensearchNode: 'https://search.example:443' })).toBe(true);
  });
});

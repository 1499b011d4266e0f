import { describe, expect, it } from 'vitest';
import { demoEngine } from '../../../examples/sakila/demo-engine.js';

describe('the demo engine option', () => {
  it('takes --engine, then SLUICE_ENGINE, then Elasticsearch, and refuses other names', () => {
    expect(demoEngine([], {})).toBe('elasticsearch');
    expect(demoEngine([], { SLUICE_ENGINE: 'opensearch' })).toBe('opensearch');
    expect(demoEngine(['--engine', 'opensearch'], { SLUICE_ENGINE: 'elasticsearch' })).toBe('opensearch');
    expect(demoEngine(['--engine=elasticsearch'], { SLUICE_ENGINE: 'opensearch' })).toBe('elasticsearch');
    expect(() => demoEngine(['--engine', 'solr'], {})).toThrow(/unknown engine "solr"/);
  });
});

import { describe, expect, it } from 'vitest';
import { configurationError } from '../../helpers/errors.js';
import { interpolateEnvironment } from '../../../src/config/environment-interpolation.js';


describe('interpolateEnvironment', () => {
  it('replaces ${NAME} in every string, deep in mappings and lists, and leaves other values alone', () => {
    const value = { a: '${HOST}:${PORT}', list: ['x${HOST}', 3, true, null], nested: { b: 'plain' } };
    expect(interpolateEnvironment(value, { HOST: 'db', PORT: '3306' }, 'p.yml')).toEqual({
      a: 'db:3306',
      list: ['xdb', 3, true, null],
      nested: { b: 'plain' },
    });
  });

  it('uses the default when the variable is unset or empty, and the value otherwise', () => {
    expect(interpolateEnvironment('${A:-mysql://u:p@h:1}', {}, 'p.yml')).toBe('mysql://u:p@h:1');
    expect(interpolateEnvironment('${A:-d}', { A: '' }, 'p.yml')).toBe('d');
    expect(interpolateEnvironment('${A:-d}', { A: 'set' }, 'p.yml')).toBe('set');
    expect(interpolateEnvironment('${A:-}', {}, 'p.yml')).toBe('');
    expect(interpolateEnvironment('${A}', { A: '' }, 'p.yml')).toBe('');
  });

  it('writes $${ as a literal ${', () => {
    expect(interpolateEnvironment('cost $${PRICE} and ${A}', { A: 'a', PRICE: 'no' }, 'p.yml')).toBe('cost ${PRICE} and a');
  });

  it('does not interpolate keys', () => {
    expect(interpolateEnvironment({ '${A}': 'v' }, { A: 'x' }, 'p.yml')).toEqual({ '${A}': 'v' });
  });

  it('names the file, the key path and the variable of every unset variable without a default', () => {
    const error = configurationError(() =>
      interpolateEnvironment({ source: { mysql: { url: '${DB_URL}' } }, kafka: { brokers: ['${B1}'] } }, {}, 'pipe.yml'),
    );
    expect(error.message).toContain('pipe.yml: source.mysql.url: environment variable DB_URL is not set');
    expect(error.message).toContain('pipe.yml: kafka.brokers[0]: environment variable B1 is not set');
    expect(error.fix).toContain('set DB_URL or give a default: ${DB_URL:-value}');
    expect(error.fix).toContain('set B1 or give a default: ${B1:-value}');
  });

  it('rejects malformed references', () => {
    expect(configurationError(() => interpolateEnvironment({ a: 'x ${A' }, {}, 'p.yml')).message).toContain(
      'p.yml: a: "${" has no closing "}"',
    );
    expect(configurationError(() => interpolateEnvironment({ a: '${1A}' }, {}, 'p.yml')).message).toContain(
      'p.yml: a: "${1A}" is not a variable reference',
    );
  });
});

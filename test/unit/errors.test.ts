import { describe, expect, it } from 'vitest';
import { ConfigurationError, describeError, SluiceError } from '../../src/errors.js';

describe('SluiceError', () => {
  it('keeps the cause, the context and whether a retry can help', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new SluiceError('kafka unreachable', { retriable: true, cause, context: { brokers: ['a:1'] } });
    expect(error.name).toBe('SluiceError');
    expect(error.cause).toBe(cause);
    expect(error.retriable).toBe(true);
    expect(error.context).toEqual({ brokers: ['a:1'] });
  });

  it('makes configuration errors non-retriable and carries the fix', () => {
    const error = new ConfigurationError('unknown key "sorce"', 'did you mean "source"?');
    expect(error.retriable).toBe(false);
    expect(error.fix).toBe('did you mean "source"?');
    expect(error).toBeInstanceOf(SluiceError);
  });

  it('describes an error together with its causes', () => {
    const error = new Error('cannot start', { cause: new Error('port in use', { cause: 'EADDRINUSE' }) });
    expect(describeError(error)).toBe('cannot start: caused by: port in use: caused by: EADDRINUSE');
  });
});

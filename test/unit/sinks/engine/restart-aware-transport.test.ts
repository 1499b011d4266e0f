import { describe, expect, it } from 'vitest';
import { isRetriableError } from '../../../../src/classify-error.js';
import { EngineError } from '../../../../src/sinks/engine/engine-error.js';
import type { EngineRequest, EngineResponse, EngineTransport } from '../../../../src/sinks/engine/engine-transport.js';
import { RESTART_RECOVERY_WINDOW_MS, RestartAwareTransport } from '../../../../src/sinks/engine/restart-aware-transport.js';

const REFRESH: EngineRequest = { method: 'POST', path: '/films/_refresh' };

const refused = (): EngineError => new EngineError('POST /films/_refresh failed: ConnectionError: connect ECONNREFUSED', { status: 0 });
const indexMissing = (): EngineError =>
  new EngineError('POST /films/_refresh answered 404 index_not_found_exception: no such index [films]', { status: 404, type: 'index_not_found_exception' });

/** A transport that fails with the queued errors, then answers 200 (the pure decision under test, no engine). */
function scripted(errors: EngineError[]): EngineTransport {
  return {
    kind: 'opensearch',
    request: <T>(): Promise<EngineResponse<T>> => {
      const next = errors.shift();
      return next === undefined ? Promise.resolve({ status: 200, body: {} as T, headers: {} }) : Promise.reject(next);
    },
    close: () => Promise.resolve(),
  };
}

async function failureOf(transport: EngineTransport): Promise<unknown> {
  return transport.request(REFRESH).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('RestartAwareTransport', () => {
  it('passes a missing index through as permanent when the engine has been answering', async () => {
    const transport = new RestartAwareTransport(scripted([indexMissing()]));
    const error = await failureOf(transport);
    expect(error).toBeInstanceOf(EngineError);
    expect(isRetriableError(error)).toBe(false);
  });

  it('makes a missing index retriable right after the engine did not answer (a restart recovering its state)', async () => {
    let now = 1_000_000;
    const transport = new RestartAwareTransport(scripted([refused(), indexMissing()]), () => now);
    expect(isRetriableError(await failureOf(transport))).toBe(true);
    now += 5_000;
    const error = await failureOf(transport);
    expect(isRetriableError(error)).toBe(true);
    expect(String((error as Error).message)).toContain('did not answer 5 s ago');
    expect((error as EngineError).type).toBe('index_not_found_exception');
    expect(await transport.request(REFRESH)).toMatchObject({ status: 200 });
  });

  it('stops excusing a missing index once the recovery window has passed', async () => {
    let now = 1_000_000;
    const transport = new RestartAwareTransport(scripted([refused(), indexMissing()]), () => now);
    await failureOf(transport);
    now += RESTART_RECOVERY_WINDOW_MS;
    expect(isRetriableError(await failureOf(transport))).toBe(false);
  });

  it('does not count an aborted request as an engine that did not answer, and leaves other errors alone', async () => {
    const aborted = new EngineError('POST /films/_refresh was aborted', { status: 0, aborted: true });
    const badRequest = new EngineError('PUT /films answered 400 mapper_parsing_exception', { status: 400, type: 'mapper_parsing_exception' });
    const transport = new RestartAwareTransport(scripted([aborted, indexMissing(), refused(), badRequest]));
    expect(await failureOf(transport)).toBe(aborted);
    expect(isRetriableError(await failureOf(transport))).toBe(false);
    await failureOf(transport);
    expect(await failureOf(transport)).toBe(badRequest);
  });
});

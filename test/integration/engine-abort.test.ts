import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/sinks/engine/engine-error.js';
import { testEngine, testEngines } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(testEngines())('aborting a request of the engine port on %s', (kind) => {
  it('rejects the request with an aborted EngineError, and nothing else throws (no uncaught exception)', async () => {
    const engine = testEngine(kind, cleanup);
    const index = uniqueName('abort');
    cleanup.add(() => engine.deleteIndex(index));
    const uncaught: unknown[] = [];
    const record = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', record);
    cleanup.add(() => Promise.resolve(process.off('uncaughtException', record)));
    const lines = Array.from({ length: 2000 }, (_, id) => `${JSON.stringify({ index: { _index: index, _id: String(id) } })}\n${JSON.stringify({ title: `film ${id}`, text: 'x'.repeat(200) })}\n`).join('');
    let aborted = 0;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const controller = new AbortController();
      const pending = engine.bulk(lines, { signal: controller.signal });
      // the request is on its way (or about to be): aborting it must only reject it
      setImmediate(() => controller.abort(new Error('stopping')));
      const outcome = await pending.then(
        () => 'completed',
        (error: unknown) => error,
      );
      if (outcome !== 'completed') {
        aborted += 1;
        expect(outcome).toBeInstanceOf(EngineError);
        expect((outcome as EngineError).aborted).toBe(true);
        expect((outcome as EngineError).message).toMatch(/aborted/);
      }
    }
    // an error thrown by an abort listener surfaces on a later tick
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(uncaught.map(String)).toEqual([]);
    expect(aborted, 'no request was still in flight when aborted').toBeGreaterThan(0);
  });
});

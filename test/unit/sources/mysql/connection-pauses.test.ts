import { describe, expect, it } from 'vitest';
import { ConnectionPauses } from '../../../../src/sources/mysql/connection-pauses.js';

/** A connection that records its real pauses and resumes, as mysql2's flag would see them. */
function recordingConnection(): { pause(): void; resume(): void; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  };
}

describe('ConnectionPauses', () => {
  it('keeps the connection paused until every holder released it, zongji included', () => {
    const connection = recordingConnection();
    const pauses = new ConnectionPauses(connection);
    connection.pause(); // zongji fetching a table's columns
    pauses.hold('backpressure');
    pauses.release('backpressure');
    expect(connection.calls).toEqual(['pause']);
    expect(pauses.isHeld('driver')).toBe(true);
    connection.resume(); // zongji done
    expect(connection.calls).toEqual(['pause', 'resume']);
    expect(pauses.isHeld()).toBe(false);
  });

  it('pauses once for several holders and resumes after the last', () => {
    const connection = recordingConnection();
    const pauses = new ConnectionPauses(connection);
    pauses.hold('backpressure');
    connection.pause();
    pauses.hold('backpressure');
    connection.resume();
    expect(connection.calls).toEqual(['pause']);
    pauses.release('backpressure');
    expect(connection.calls).toEqual(['pause', 'resume']);
  });

  it('ignores the release of a holder that holds nothing', () => {
    const connection = recordingConnection();
    const pauses = new ConnectionPauses(connection);
    connection.resume();
    pauses.release('backpressure');
    expect(connection.calls).toEqual([]);
    pauses.hold('backpressure');
    connection.resume();
    expect(connection.calls).toEqual(['pause']);
  });

  it('lets a packet handler pause again from inside the resume (mysql2 replays queued packets there)', () => {
    const calls: string[] = [];
    const connection = {
      pause: () => calls.push('pause'),
      resume: () => {
        calls.push('resume');
        connection.pause(); // zongji meets a table map while the queue is replayed
      },
    };
    const pauses = new ConnectionPauses(connection);
    pauses.hold('backpressure');
    pauses.release('backpressure');
    expect(calls).toEqual(['pause', 'resume', 'pause']);
    expect(pauses.isHeld('driver')).toBe(true);
    pauses.hold('backpressure');
    pauses.release('backpressure');
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });
});

/**
 * The changes that stream during `npm run demo:mapping-change`: an application updating films at a
 * steady rate, each update its own transaction (the film's rental_rate steps 0.99 -> 1.99 -> ...
 * -> 4.99 -> 0.99, a field of the films document, so every update rebuilds its document).
 */
import type { Connection } from 'mysql2/promise';

/** A writer running in the background. */
export interface FilmWriter {
  /** Updates committed so far. */
  readonly updates: () => number;
  /** Updates committed between `fromMs` and `toMs` (Date.now() times, both included). */
  readonly updatesBetween: (fromMs: number, toMs: number) => number;
  /** Film ids updated at least once. */
  readonly touched: () => ReadonlySet<number>;
  /** Stops after the update in progress; resolves with the number of updates, rejects with the writer's error. */
  stop(): Promise<number>;
  /** Rejects as soon as an update fails (the writer stops then); never resolves. */
  readonly failed: Promise<never>;
}

/**
 * Starts updating films of `database`.film (ids 1 to `films`, in a shuffled but seeded order) at
 * `perSecond` updates a second, on a fixed schedule: a slow update delays the next ones, never the
 * rate over time.
 */
export function startFilmWriter(sql: Connection, database: string, films: number, perSecond: number): FilmWriter {
  let updates = 0;
  /** When each update committed (a few per second: kept whole). */
  const committedAt: number[] = [];
  let running = true;
  const touched = new Set<number>();
  const periodMs = 1000 / perSecond;
  const started = Date.now();
  let failure: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    failure = reject;
  });
  failed.catch(() => undefined);
  const loop = (async () => {
    // a large step through 1..films (coprime with it) visits every film before one comes again
    const step = gcd(7919, films) === 1 ? 7919 : 1;
    let next = 1;
    while (running) {
      const id = next;
      next = ((next - 1 + step) % films) + 1;
      await sql.query(`UPDATE \`${database}\`.film SET rental_rate = IF(rental_rate >= 4.99, 0.99, rental_rate + 1) WHERE film_id = ?`, [id]);
      updates += 1;
      committedAt.push(Date.now());
      touched.add(id);
      const due = started + updates * periodMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  loop.catch((error: unknown) => {
    running = false;
    failure(error);
  });
  return {
    updates: () => updates,
    updatesBetween: (fromMs, toMs) => committedAt.filter((atMs) => atMs >= fromMs && atMs <= toMs).length,
    touched: () => touched,
    failed,
    stop: async () => {
      running = false;
      await loop;
      return updates;
    },
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Who may pause the binlog connection: zongji itself (`driver`: while it reads a table's columns
 * from INFORMATION_SCHEMA, for a table map whose metadata it cannot use) and sluice's backpressure.
 */
export type PauseHolder = 'driver' | 'backpressure';

/** The pause and resume of a mysql2 connection. */
export interface PausableConnection {
  pause(): void;
  resume(): void;
}

/**
 * The pauses of zongji's binlog connection, counted by holder. mysql2 keeps one flag, and its
 * resume replays the packets queued while the connection was paused: a resume by one holder
 * during another's pause would hand zongji the rows events behind a table map whose columns it is
 * still fetching, and zongji drops those as filtered (committed rows lost). So the connection is
 * paused when the first holder holds it and resumed only once no holder does. The constructor
 * routes the connection's own `pause`/`resume` (what zongji calls) through the `driver` holder.
 */
export class ConnectionPauses {
  private readonly holders = new Set<PauseHolder>();
  private readonly pauseConnection: () => void;
  private readonly resumeConnection: () => void;

  constructor(connection: PausableConnection) {
    this.pauseConnection = connection.pause.bind(connection);
    this.resumeConnection = connection.resume.bind(connection);
    connection.pause = () => this.hold('driver');
    connection.resume = () => this.release('driver');
  }

  /** Pauses the connection for `holder` (the connection reads nothing until every holder released it). */
  hold(holder: PauseHolder): void {
    const wasHeld = this.holders.size > 0;
    this.holders.add(holder);
    if (!wasHeld) this.pauseConnection();
  }

  /** Releases `holder`'s pause; the connection resumes if no other holder holds it. A holder that holds nothing releases nothing. */
  release(holder: PauseHolder): void {
    if (!this.holders.delete(holder)) return;
    if (this.holders.size === 0) this.resumeConnection();
  }

  /** True while `holder` (or, without one, any holder) holds the connection. */
  isHeld(holder?: PauseHolder): boolean {
    return holder === undefined ? this.holders.size > 0 : this.holders.has(holder);
  }
}

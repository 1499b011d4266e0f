/**
 * The one error class of sluice. Every error sluice raises on purpose is a SluiceError: it says
 * whether retrying can help (`retriable`), keeps the underlying `cause`, and carries structured
 * `context` (a service, a key, a file) for logs and messages.
 */
export class SluiceError extends Error {
  /** True when the same operation may succeed later (a network blip, a busy service). */
  readonly retriable: boolean;
  /** Structured facts about the failure, for logs; never secrets. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/**
 * Raised when the user's configuration or environment is wrong. The CLI exits with code 2 and
 * starts nothing. `fix` tells the user what to change.
 */
export class ConfigurationError extends SluiceError {
  readonly fix: string;

  constructor(message: string, fix: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { ...options, retriable: false });
    this.fix = fix;
  }
}

/**
 * Raised when a service refused work for a reason retrying cannot fix (wrong credentials, a
 * missing privilege, a column or table dropped or renamed under a document, a mapping the engine
 * refuses). The process stops instead of retrying: the CLI prints what broke, where and `fix`, and
 * exits with code 3. Nothing is committed for the work that failed, so a restart after the fix
 * loses nothing.
 */
export class PermanentError extends SluiceError {
  /** What the user should change before starting again. */
  readonly fix: string;
  /** Where it broke: the operation and the part of the pipeline (a document, a topic). */
  readonly where: string | undefined;

  constructor(message: string, fix: string, options: { cause?: unknown; where?: string; context?: Record<string, unknown> } = {}) {
    super(message, { ...(options.cause === undefined ? {} : { cause: options.cause }), retriable: false, context: options.context ?? {} });
    this.fix = fix;
    this.where = options.where;
  }
}

/**
 * True for errors that are bugs in the program rather than conditions of the world
 * (TypeError, RangeError, ReferenceError, SyntaxError): retrying them only hides the bug.
 */
export function isProgrammerError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

/** The message of any thrown value, with the messages of its causes appended. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    parts.push(current instanceof Error ? current.message : typeof current === 'string' ? current : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': caused by: ');
}

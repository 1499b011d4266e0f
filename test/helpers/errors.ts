import { ConfigurationError } from '../../src/errors.js';

/** Runs `action` and returns the ConfigurationError it throws; fails when it throws none or another error. */
export function configurationError(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

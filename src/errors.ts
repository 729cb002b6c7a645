/**
 * Errors a user can act on. Every failure that reaches the CLI or the HTTP API is a
 * `LeptonError` with a stable `code`, a message naming what went wrong and where, and a
 * `hint` saying how to fix it.
 * @module
 */

export type ErrorCode =
  | 'E_FILE' // missing or unreadable file
  | 'E_PARSE' // malformed data file
  | 'E_COLUMN' // missing / unusable column
  | 'E_TARGET' // unusable target column
  | 'E_VALUE' // invalid value (NaN, Infinity, wrong type)
  | 'E_MODEL_FILE' // not a model file, or a newer format
  | 'E_OPTION' // invalid option
  | 'E_ENGINE' // native engine failure
  | 'E_CANCELLED'
  | 'E_REGISTRY' // registry state or schema problem
  | 'E_NOT_FOUND' // unknown project, model, version, alias, run or dataset
  | 'E_CONFLICT' // the request contradicts the registry's state
  | 'E_AUTH' // missing or invalid API key
  | 'E_FORBIDDEN' // the key's role or project does not allow this
  | 'E_LIMIT' // a size or rate limit
  | 'E_SQL'; // a SQL source failed

export class LeptonError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeptonError';
    this.code = code;
    this.hint = hint;
  }
}

/** Quotes a list of names for messages: 'a', 'b', 'c' (and 12 more). */
export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}

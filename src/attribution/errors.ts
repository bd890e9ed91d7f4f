/** Errors the engine throws on purpose, so hosts can tell bad input and cancellation from bugs. */

/** A request the engine refuses before computing anything (nothing is allocated). */
export class AttributionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttributionInputError';
  }
}

/** The caller's AbortSignal fired; raised between chunks. `name` matches DOM's AbortError. */
export class AttributionAbortedError extends Error {
  constructor(message = 'attribution cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

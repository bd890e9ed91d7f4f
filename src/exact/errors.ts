/** Errors of exact-variant making, and the cancellation point every long loop shares. */
import { nextTurn } from '../shared/next-turn.ts';

/** Fine-tuning (or the work around it) was cancelled; named like the DOM's AbortError. */
export class DistillAbortedError extends Error {
  constructor() {
    super('fine-tuning was cancelled');
    this.name = 'AbortError';
  }
}

/** Bad settings, a model that cannot be fine-tuned, or training that failed (NaN loss). */
export class DistillError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistillError';
  }
}

/** Stored variant data that does not fit the model it is restored onto. */
export class StoredVariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredVariantError';
  }
}

/** Yields, then throws DistillAbortedError when `signal` has been aborted. */
export async function checkAborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await nextTurn();
  if (signal.aborted) throw new DistillAbortedError();
}

/** An attempt that did not succeed, carrying its classification to the executor. */
import { type Classification, classifyError } from '../policies/classify';
import type { AttemptScope } from './scope';

export class AttemptFailure extends Error {
  readonly classification: Classification;
  constructor(classification: Classification, cause?: unknown) {
    super(classification.message, { cause });
    this.name = 'AttemptFailure';
    this.classification = classification;
  }
}

const ABORTED: Classification = Object.freeze({
  outcome: 'aborted',
  verdict: 'fatal',
  message: 'aborted',
});

const CANCELLED: Classification = Object.freeze({
  outcome: 'aborted',
  verdict: 'fatal',
  message: 'cancelled: another attempt answered first',
});

/** Turns whatever a transport call threw into an AttemptFailure, using the attempt's own state first. */
export function failureFrom(error: unknown, attempt: AttemptScope): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (attempt.cancelled) return new AttemptFailure(CANCELLED, error);
  if (attempt.timedOut) return new AttemptFailure(attempt.timedOut, error);
  if (attempt.parentAborted) return new AttemptFailure(ABORTED, error);
  return new AttemptFailure(classifyError(error), error);
}

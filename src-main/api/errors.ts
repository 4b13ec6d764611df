/** The structured error every host returns instead of crashing. Dependency-free. */

export type ApiErrorCode = 'invalid_input' | 'unknown_op' | 'not_found' | 'conflict' | 'internal';

export interface ApiIssue {
  /** dotted path into the input, e.g. `samples.3.text`; '' for the input itself */
  path: string;
  message: string;
}

export interface ApiErrorBody {
  code: ApiErrorCode;
  op: string;
  message: string;
  issues?: ApiIssue[];
}

/**
 * Thrown by handlers for expected failures: `not_found`, `conflict`, or `invalid_input` found only
 * once the handler runs (a path outside the allowed roots, params a job kind refuses), with issues
 * naming the fields. Anything else becomes `internal`. The store's own errors are mapped in dispatch.ts.
 */
export class ApiError extends Error {
  constructor(
    readonly code: Exclude<ApiErrorCode, 'unknown_op' | 'internal'>,
    message: string,
    readonly issues?: ApiIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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

/** Thrown by handlers for expected failures (`not_found`, `conflict`); anything else becomes `internal`. */
export class ApiError extends Error {
  constructor(
    readonly code: Exclude<ApiErrorCode, 'invalid_input' | 'unknown_op' | 'internal'>,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Errors the store and job runner throw on purpose. `code` lets a host map them to a status
 * (invalid → 400, not_found → 404, conflict → 409); the message always names the field, row or file.
 */
export type StoreErrorCode = 'invalid' | 'not_found' | 'conflict';

export class StoreError extends Error {
  constructor(
    public readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const invalid = (message: string): StoreError => new StoreError('invalid', message);
export const notFound = (what: string, id: string): StoreError => new StoreError('not_found', `${what} '${id}' not found`);
export const conflict = (message: string): StoreError => new StoreError('conflict', message);

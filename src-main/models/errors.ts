/** Errors about a model folder's files. The message always names the file, and the tensor or key when known. */
export class ModelFileError extends Error {
  constructor(
    public readonly file: string,
    message: string,
    public readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` [tensor '${tensor}']` : ''}: ${message}`);
    this.name = 'ModelFileError';
  }
}

/** Errors about an SAE's files. The message always names the file, and the zip member or tensor when known. */
export class SaeError extends Error {
  constructor(
    public readonly file: string,
    message: string,
    /** zip member (`W_enc.npy`), tensor (`W_dec`) or config key, when the error is about one */
    public readonly member?: string,
  ) {
    super(`${file}${member ? ` [${member}]` : ''}: ${message}`);
    this.name = 'SaeError';
  }
}

/** Bad usage found after parsing (a combination of options the parser cannot express): exit 2, nothing written. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

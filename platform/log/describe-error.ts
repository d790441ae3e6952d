/** An error as log data: message and code only, never arguments that might hold a token. */
export function describeError(err: unknown): { message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}

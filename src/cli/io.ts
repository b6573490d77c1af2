/** Where the commands write; tests pass their own to run the commands in-process. */
export interface Io {
  out: { write(s: string): boolean };
  err: { write(s: string): boolean; isTTY?: boolean; columns?: number };
}

export const stdio: Io = { out: process.stdout, err: process.stderr };

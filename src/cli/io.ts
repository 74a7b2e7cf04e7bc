// The streams a command writes to, injected so commands run in-process in tests.

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The whole of standard input (only read by commands that accept it). */
  readonly readStdin: () => Promise<string>;
}

export const processIo: CliIo = {
  stdout: (text) => {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  },
  stderr: (text) => {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** A usage error: one line naming the argument and the fix; exit status 2. */
export class UsageError extends Error {}

/** A failure to report in one line with exit status 1 (daemon not running, request refused). */
export class CommandFailure extends Error {}

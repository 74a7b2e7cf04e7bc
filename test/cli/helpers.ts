import { runAgentctl } from '../../src/cli/agentctl.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs agentctl in-process with captured output. */
export async function agentctl(argv: readonly string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text.endsWith('\n') ? text : `${text}\n`;
    },
    stderr: (text) => {
      stderr += text.endsWith('\n') ? text : `${text}\n`;
    },
    readStdin: async () => stdin,
  };
  const code = await runAgentctl(argv, io);
  return { code, stdout, stderr };
}

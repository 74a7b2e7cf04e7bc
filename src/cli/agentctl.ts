// agentctl: the operator's client (gobgp-style noun-verb commands).
// Commands that read state talk to the daemon over its control socket;
// `decode` works offline.

import { Command, CommanderError, Option } from 'commander';
import { agentVersion } from '../util/version.js';
import { addBfdCommands } from './bfd.js';
import { addDaemonCommands } from './commands.js';
import { decodeHex } from './decode.js';
import { addGlobalCommand } from './global.js';
import { type CliIo, CommandFailure, processIo, UsageError } from './io.js';
import { addMonitorCommand } from './monitor.js';

export const DEFAULT_SOCKET = '/run/agent/agent.sock';

/**
 * Under --json a refusal is JSON too ({"error": "..."} on stdout, the exit
 * status unchanged), so a program reading the output gets something it can
 * parse: commander's own complaints (unknown option, missing argument) included.
 */
function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

export function buildAgentctl(io: CliIo, setExitCode: (code: number) => void, json = false): Command {
  const program = new Command('agentctl')
    .description('control and inspect the BGP route agent')
    .version(`agentctl ${agentVersion()}`, '-V, --version', 'print the version and exit')
    .option('--socket <path>', 'the daemon control socket', DEFAULT_SOCKET)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) =>
        json ? io.stdout(JSON.stringify({ error: text.trim().replace(/^error: /, '') })) : write(text),
    })
    .exitOverride();

  program
    .command('decode')
    .description('decode BGP messages given as hex (argument or standard input), e.g. from tcpdump -x')
    .argument('[hex...]', 'the message(s) in hex; "-" or nothing reads standard input')
    .option('--asn2', 'decode as a 2-octet-AS session (default: 4-octet, RFC 6793)', false)
    .addOption(
      new Option(
        '--add-path <families>',
        'NLRI carry ADD-PATH path identifiers (RFC 7911): ipv4, ipv6 or ipv4,ipv6',
      ).default(''),
    )
    .option('--extended-message', 'allow messages up to 65535 octets (RFC 8654)', false)
    .addOption(
      new Option('--peer-type <type>', 'apply the iBGP/eBGP rules of RFC 7606')
        .choices(['ibgp', 'ebgp', 'unknown'])
        .default('unknown'),
    )
    .option('--json', 'print JSON', false)
    .action(
      async (
        hexArgs: string[],
        options: {
          asn2: boolean;
          addPath: string;
          extendedMessage: boolean;
          peerType: 'ibgp' | 'ebgp' | 'unknown';
          json: boolean;
        },
      ) => {
        const families = options.addPath === '' ? [] : options.addPath.split(',').map((f) => f.trim());
        for (const family of families) {
          if (family !== 'ipv4' && family !== 'ipv6') {
            throw new UsageError(
              `decode: --add-path '${family}' is not a family: use ipv4, ipv6 or ipv4,ipv6`,
            );
          }
        }
        const text =
          hexArgs.length === 0 || (hexArgs.length === 1 && hexArgs[0] === '-')
            ? await io.readStdin()
            : hexArgs.join(' ');
        const outcome = decodeHex(text, {
          asn2: options.asn2,
          addPath: families as ('ipv4' | 'ipv6')[],
          extendedMessage: options.extendedMessage,
          peerType: options.peerType,
          json: options.json,
        });
        io.stdout(outcome.output);
        setExitCode(outcome.exitCode);
      },
    );

  addDaemonCommands(program, io, setExitCode);
  addBfdCommands(program, io);
  addGlobalCommand(program, io);
  addMonitorCommand(program, io);
  return program;
}

/** Runs agentctl with `argv` (without node and script); resolves to the exit status. */
export async function runAgentctl(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const json = wantsJson(argv);
  const program = buildAgentctl(
    io,
    (code) => {
      exitCode = code;
    },
    json,
  );
  const fail = (message: string, code: number): number => {
    if (json) io.stdout(JSON.stringify({ error: message }));
    else io.stderr(`agentctl: ${message}`);
    return code;
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the message; --help and --version exit 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) return fail(error.message, 2);
    if (error instanceof CommandFailure) return fail(error.message, 1);
    throw error;
  }
}

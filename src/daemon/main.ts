// agent: the daemon's entry point. Options in, a running Agent out; owns the
// process signals (SIGHUP reloads, SIGTERM/SIGINT stop with Cease to every
// peer). Configuration mistakes are one line on stderr and exit status 2.

import { Command, CommanderError, Option } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/load.js';
import { createLogger, type LogLevel, logLevels } from '../log/logger.js';
import { Agent } from './agent.js';

interface CommandLineOptions {
  readonly config: string;
  readonly logLevel: LogLevel;
  readonly check: boolean;
  readonly restarting: boolean;
}

function parseOptions(argv: readonly string[]): CommandLineOptions {
  const program = new Command('agent')
    .description('node-resident BGP route agent')
    .option('--config <path>', 'configuration file', DEFAULT_CONFIG_PATH)
    .addOption(new Option('--log-level <level>', 'log level').choices([...logLevels]).default('info'))
    .option('--check', 'validate the configuration file and exit', false)
    .option(
      '--restarting',
      'tell peers this is a graceful restart with forwarding preserved (RFC 4724 R and F bits)',
      false,
    )
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  return program.opts<CommandLineOptions>();
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: CommandLineOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  let config: ReturnType<typeof loadConfigFile>;
  try {
    config = loadConfigFile(options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent: config error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.check) {
    process.stdout.write(`${options.config}: configuration OK (${config.neighbors.length} neighbors)\n`);
    return 0;
  }
  const log = createLogger(options.logLevel);
  const agent = new Agent(config, { configPath: options.config, log, restarting: options.restarting });
  try {
    await agent.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`agent: cannot start: ${message}\n`);
    log.fatal({ error: message }, 'cannot start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      agent
        .stop()
        .then(() => resolve(0))
        .catch((error: unknown) => {
          log.error({ error: String(error) }, 'error while stopping');
          resolve(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      agent.reload().catch(() => {
        // Logged by reload(); the running configuration stays.
      });
    });
  });
}

// agent: the daemon's entry point. Options in, a running Agent out; owns the
// process signals (SIGHUP reloads, SIGTERM/SIGINT stop: see Agent.stop for
// what stays). Configuration mistakes are one line on stderr and exit status 2.

import { Command, CommanderError, Option } from 'commander';
import { loadConfigIsolated } from '../config/isolated.js';
import { type AgentConfig, ConfigError, DEFAULT_CONFIG_PATH } from '../config/types.js';
import { createLogger, type Logger, type LogLevel, logLevels } from '../log/logger.js';
import { sdNotify } from '../net/sd-notify.js';
import { agentVersion } from '../util/version.js';
import { Agent } from './agent.js';
import { AgentRunningError, cleanupForwardingState } from './cleanup.js';

interface CommandLineOptions {
  readonly config: string;
  readonly logLevel: LogLevel;
  readonly check: boolean;
  readonly cleanup: boolean;
  readonly restarting: boolean;
}

function parseOptions(argv: readonly string[]): CommandLineOptions {
  const program = new Command('agent')
    .description('node-resident BGP route agent')
    .version(`agent ${agentVersion()}`, '-V, --version', 'print the version and exit')
    .option('--config <path>', 'configuration file', DEFAULT_CONFIG_PATH)
    .addOption(new Option('--log-level <level>', 'log level').choices([...logLevels]).default('info'))
    .option('--check', 'validate the configuration file and exit', false)
    .option(
      '--cleanup',
      'remove the kernel routes and OVS flows a stopped agent left (SIGTERM keeps them for Graceful Restart) and exit',
      false,
    )
    .option(
      '--restarting',
      'tell peers this is a graceful restart with forwarding preserved (RFC 4724 R and F bits)',
      false,
    )
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  return program.opts<CommandLineOptions>();
}

function notifySystemd(state: string, log: Logger): void {
  const outcome = sdNotify(state);
  if (typeof outcome !== 'string') log.warn({ error: outcome.error }, 'cannot notify systemd');
}

/** `agent --cleanup`: one line on stdout with what went, exit 0; refused while an agent runs (exit 1). */
async function cleanup(config: AgentConfig, log: Logger): Promise<number> {
  try {
    const result = await cleanupForwardingState(config, log);
    const parts = [
      result.kernelRoutes === null
        ? 'kernel writer disabled'
        : `${result.kernelRoutes} kernel route(s) removed`,
      ...(config.fib.ovs.enabled
        ? [
            result.ovsFlowsLeft === null
              ? 'OVS unreachable: flows left'
              : `OVS flows left: ${result.ovsFlowsLeft}`,
          ]
        : []),
    ];
    process.stdout.write(`agent: cleanup: ${parts.join('; ')}\n`);
    return config.fib.ovs.enabled && (result.ovsFlowsLeft ?? 0) > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof AgentRunningError) {
      process.stderr.write(`agent: cleanup refused: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: CommandLineOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  let config: AgentConfig;
  try {
    // The daemon keeps no parser in memory (config/isolated.ts); one-shot commands parse here.
    config =
      options.check || options.cleanup
        ? (await import('../config/load.js')).loadConfigFile(options.config)
        : await loadConfigIsolated(options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent: config error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `agent: cannot read the configuration: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  if (options.check) {
    process.stdout.write(`${options.config}: configuration OK (${config.neighbors.length} neighbors)\n`);
    return 0;
  }
  // A one-shot command: stdout is its one result line, the writers' logs go to stderr.
  if (options.cleanup) return cleanup(config, createLogger('warn', process.stderr));
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
  // Type=notify: listeners, the control socket and the writers are up now.
  notifySystemd(
    `READY=1\nSTATUS=BGP listener, control socket and FIB writers up\nMAINPID=${process.pid}\n`,
    log,
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      notifySystemd('STOPPING=1\n', log);
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

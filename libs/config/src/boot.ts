import { startTracing } from '@wharf/tracing';
import { ConfigError, WharfConfig, loadConfig } from './wharf-config';
import { JsonLogger } from './json-logger';

/**
 * The start of every `main`: configuration (exit 2 with every problem listed when it is
 * invalid), the logger (its level toggled by SIGUSR2), tracing (when WHARF_OTLP_TRACES_URL is
 * set), and a uniform report of a failed start (exit 1).
 */
export function runService(
  name: string,
  start: (config: WharfConfig, logger: JsonLogger) => Promise<{ getUrl(): Promise<string> }>,
): void {
  let config: WharfConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel, undefined, { redact: config.logRedact });
  // `kill -USR2 <pid>`: debug logging on, and off again, without a restart (docs/operations.md).
  process.on('SIGUSR2', () => logger.toggleDebug('SIGUSR2'));
  startTracing({ service: name, ...config.tracing });
  start(config, logger)
    .then(async (app) => {
      logger.event('info', 'wharf listening', {
        service: name,
        profile: config.profile,
        url: await app.getUrl(),
        auth: config.auth.mode,
      });
      if (config.auth.mode === 'open' && (name === 'gateway' || name === 'embedded')) {
        logger.event(
          'warn',
          'open mode: no authentication, anyone who can reach this server may push and delete (WHARF_AUTH_MODE)',
          { host: config.http.host },
        );
      }
    })
    .catch((error) => {
      if (error instanceof ConfigError) process.stderr.write(`${name}: ${error.message}\n`);
      logger.event('error', 'startup failed', { service: name, error: String(error?.stack ?? error) });
      process.exit(error instanceof ConfigError ? 2 : 1);
    });
}

import 'reflect-metadata';
import { ConfigError, JsonLogger, loadConfig } from '@wharf/config';
import { startEmbedded } from './embedded-app';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(2);
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel);
  const app = await startEmbedded(config, logger);
  logger.event('info', 'wharf listening', { profile: config.profile, url: await app.getUrl(), dataDir: config.dataDir, prefix: config.http.apiPrefix });
}

main().catch((error) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'startup failed', error: String(error?.stack ?? error) }) + '\n');
  process.exit(1);
});

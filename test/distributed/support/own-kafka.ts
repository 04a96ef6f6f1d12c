/**
 * A Kafka broker of the test's own (deploy/local/kafka.sh with its own run directory, data
 * directory and ports, from the shared cached install), so that a test can stop and restart it
 * without disturbing anyone else's broker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@wharf/testing';
import { ROOT } from './distributed-stack';

const run = promisify(execFile);

export class OwnKafka {
  private constructor(
    private readonly runDir: string,
    readonly port: number,
    private readonly controllerPort: number,
  ) {}

  static async create(): Promise<OwnKafka> {
    return new OwnKafka(mkdtempSync(join(tmpdir(), 'wharf-own-kafka-')), await freePort(), await freePort());
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the broker (formatting its data directory the first time); resolves when it serves. */
  start(): Promise<void> {
    return this.script('start');
  }

  /** Stops it (SIGTERM, a controlled shutdown); its data stays for the next start. */
  stop(): Promise<void> {
    return this.script('stop');
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.runDir, { recursive: true, force: true });
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    await run('bash', [join(ROOT, 'deploy', 'local', 'kafka.sh'), command], {
      env: {
        ...process.env,
        WHARF_RUN_DIR: this.runDir,
        WHARF_KAFKA_PORT: String(this.port),
        WHARF_KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      },
      timeout: 180_000,
    });
  }
}

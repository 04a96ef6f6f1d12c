/**
 * Structured logs: one JSON object per line on stdout, written by pino. Implements Nest's
 * LoggerService so framework messages come out the same way. Every line reads
 * `{"time","level","msg",...fields,"request_id","trace_id"}` (the ids only inside a request:
 * log-context.ts). Callers never pass secrets; the fields that could carry them are censored if
 * one slips through (SECRET_KEY, plus the pino paths of WHARF_LOG_REDACT). SIGUSR2
 * (boot.ts) switches between the configured level and `debug` while the process runs.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { logContext } from './log-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
type EventLevel = Exclude<LogLevel, 'silent'>;

/**
 * Keys whose values are censored wherever they appear at the top of a line's fields or one level
 * below, in any letter case (`Authorization`, `PASSWORD`, `headers.proxy-authorization`).
 */
const SECRET_KEY =
  /^(authorization|proxy-authorization|password|token|secret|cookie|blob|accesstoken|secretaccesskey|sessiontoken)$/i;
const CENSOR = '[redacted]';

/** The line's fields with every secret key's value censored; the caller's objects are left as they are. */
function withoutSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = CENSOR;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) inner[k] = SECRET_KEY.test(k) ? CENSOR : v;
      out[key] = inner;
    } else out[key] = value;
  }
  return out;
}

export interface JsonLoggerOptions {
  /** pino redaction paths added to the defaults (WHARF_LOG_REDACT). */
  redact?: readonly string[];
}

export class JsonLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(
    private readonly configuredLevel: LogLevel = 'info',
    write?: (line: string) => void,
    options: JsonLoggerOptions = {},
  ) {
    const destination: DestinationStream = write
      ? { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
      : pino.destination({ dest: 1, sync: true });
    this.pino = pino(
      {
        level: configuredLevel,
        base: null,
        // The line starts with the time, then the level and the message as fields (event()), as
        // the hand-written logger wrote them: pino puts its level first and its message last.
        formatters: { level: () => ({}), log: withoutSecrets },
        timestamp: () => `"time":"${new Date().toISOString()}"`,
        ...(options.redact?.length ? { redact: { paths: [...options.redact], censor: CENSOR } } : {}),
      },
      destination,
    );
  }

  log(message: unknown, context?: string) {
    this.emit('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.emit('error', message, context, trace);
  }
  warn(message: unknown, context?: string) {
    this.emit('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.emit('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.emit('debug', message, context);
  }

  /** Whether events of `level` are written (so a caller can skip building what would be dropped). */
  logs(level: EventLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  /** The level in force now (the configured one, or `debug` after toggleDebug()). */
  get level(): LogLevel {
    return this.pino.level as LogLevel;
  }

  /**
   * Switches between the configured level and `debug`, and says so in one line (written while
   * the more verbose of the two is in force, so it shows whatever the configured level).
   */
  toggleDebug(reason: string): LogLevel {
    const from = this.level;
    const to: LogLevel = from === this.configuredLevel ? 'debug' : this.configuredLevel;
    if (to === 'debug') this.pino.level = to;
    this.event('info', 'log level changed', { from, to, reason });
    this.pino.level = to;
    return to;
  }

  /** A structured event: `msg` plus fields, and the request's ids when logged while serving one. */
  event(level: EventLevel, msg: string, fields: Record<string, unknown> = {}) {
    if (!this.logs(level)) return;
    this.pino[level]({ level, msg, ...fields, ...logContext.getStore() });
  }

  private emit(level: EventLevel, message: unknown, context?: unknown, trace?: unknown) {
    const fields: Record<string, unknown> = {};
    if (typeof context === 'string') fields.context = context;
    if (typeof trace === 'string') fields.trace = trace;
    if (message instanceof Error) {
      fields.error = message.name;
      fields.trace ??= message.stack;
      this.event(level, message.message, fields);
      return;
    }
    this.event(level, typeof message === 'string' ? message : JSON.stringify(message), fields);
  }
}

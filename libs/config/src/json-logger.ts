/**
 * Structured logs: one JSON object per line on stdout. Implements Nest's LoggerService so
 * framework messages come out the same way. Callers never pass secrets; `redact` strips the
 * fields that could carry them if one slips through.
 */
import type { LoggerService } from '@nestjs/common';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

const SECRET_KEYS = /^(authorization|password|token|secret|cookie|blob)$/i;

export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

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
  logs(level: Exclude<LogLevel, 'silent'>): boolean {
    return LEVELS[level] >= LEVELS[this.level];
  }

  /** A structured event: `msg` plus fields. */
  event(level: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}) {
    if (!this.logs(level)) return;
    this.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...redact(fields) }));
  }

  private emit(level: Exclude<LogLevel, 'silent'>, message: unknown, context?: unknown, trace?: unknown) {
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

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
  }
  return out;
}

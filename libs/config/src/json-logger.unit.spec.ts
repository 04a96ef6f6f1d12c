import { JsonLogger, LogLevel } from './json-logger';
import { logContext } from './log-context';
import { loadConfig } from './wharf-config';

function capture(level: LogLevel = 'debug', redact?: string[]) {
  const lines: string[] = [];
  const logger = new JsonLogger(level, (line) => lines.push(line), { redact });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe(JsonLogger.name, () => {
  it('should say it logs exactly the levels it writes', () => {
    for (const level of ['debug', 'info', 'warn', 'error', 'silent'] as const) {
      const lines: string[] = [];
      const logger = new JsonLogger(level, (line) => lines.push(line));
      for (const event of ['debug', 'info', 'warn', 'error'] as const) {
        const before = lines.length;
        logger.event(event, 'x');
        expect({ level, event, written: lines.length > before }).toEqual({ level, event, written: logger.logs(event) });
      }
    }
    expect(new JsonLogger('warn').logs('info')).toBe(false);
    expect(new JsonLogger('info').logs('info')).toBe(true);
  });

  it('should write one JSON line: time, level, msg, then the fields in order', () => {
    const { logger, lines } = capture('info');
    logger.event('warn', 'client aborted', { method: 'POST', path: '/x', status: 499 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warn","msg":"client aborted","method":"POST","path":"\/x","status":499\}$/,
    );
  });

  it("should write Nest's messages with their context, and errors with their name and stack", () => {
    const { logger, parsed } = capture('info');
    logger.log('Mapped {/x, GET} route', 'RouterExplorer');
    logger.error(new TypeError('boom'));
    logger.verbose('dropped at info');
    const [nest, error] = parsed();
    expect(parsed()).toHaveLength(2);
    expect(nest).toEqual({
      time: expect.any(String),
      level: 'info',
      msg: 'Mapped {/x, GET} route',
      context: 'RouterExplorer',
    });
    expect(error).toMatchObject({
      level: 'error',
      msg: 'boom',
      error: 'TypeError',
      trace: expect.stringContaining('boom'),
    });
  });

  it('should censor secrets at the top of the fields and one level below', () => {
    const { logger, lines, parsed } = capture();
    const headers = { authorization: 'Bearer abc', accept: 'json' };
    logger.event('info', 'x', {
      password: 'p4ss',
      token: 't0k',
      headers,
      s3: { secretAccessKey: 'sk', region: 'eu' },
      user: { email: 'a@b.c' },
    });
    // The caller's objects are left as they were.
    expect(headers).toEqual({ authorization: 'Bearer abc', accept: 'json' });
    expect(lines[0]).not.toMatch(/p4ss|t0k|abc|"sk"/);
    expect(parsed()[0]).toMatchObject({
      password: '[redacted]',
      token: '[redacted]',
      headers: { authorization: '[redacted]', accept: 'json' },
      s3: { secretAccessKey: '[redacted]', region: 'eu' },
      user: { email: 'a@b.c' },
    });
  });

  it('should censor secret keys in any letter case', () => {
    const { logger, lines, parsed } = capture();
    logger.event('info', 'x', { Password: 'p4ss', TOKEN: 't0k', headers: { 'Proxy-Authorization': 'Basic abc' } });
    expect(lines[0]).not.toMatch(/p4ss|t0k|abc/);
    expect(parsed()[0]).toMatchObject({
      Password: '[redacted]',
      TOKEN: '[redacted]',
      headers: { 'Proxy-Authorization': '[redacted]' },
    });
  });

  it('should censor the configured paths too', () => {
    const { logger, parsed } = capture('debug', ['user.email', 'apiKey']);
    logger.event('info', 'x', { user: { email: 'a@b.c', name: 'alice' }, apiKey: 'k' });
    expect(parsed()[0]).toMatchObject({ user: { email: '[redacted]', name: 'alice' }, apiKey: '[redacted]' });
  });

  it('should switch between the configured level and debug, saying so in one line each time', () => {
    for (const configured of ['info', 'error', 'silent'] as const) {
      const { logger, parsed } = capture(configured);
      logger.event('debug', 'before');
      expect(logger.toggleDebug('SIGUSR2')).toBe('debug');
      expect(logger.level).toBe('debug');
      logger.event('debug', 'while debugging');
      expect(logger.toggleDebug('SIGUSR2')).toBe(configured);
      logger.event('debug', 'after');
      expect(parsed().map(({ msg, from, to }) => [msg, from, to])).toEqual([
        ['log level changed', configured, 'debug'],
        ['while debugging', undefined, undefined],
        ['log level changed', 'debug', configured],
      ]);
    }
  });

  it("should add the request's ids, last, to the lines logged while serving it, and only to those", () => {
    const { logger, lines, parsed } = capture();
    logger.event('info', 'outside');
    logContext.run({ request_id: 'req-7', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }, () => {
      logger.event('info', 'request', { status: 200 });
      logger.log('from Nest', 'Ctx');
    });
    logContext.run({ request_id: 'req-8' }, () => logger.event('info', 'untraced'));
    expect(lines[1]).toMatch(/"status":200,"request_id":"req-7","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"\}$/);
    expect(parsed().map(({ request_id, trace_id }) => [request_id, trace_id])).toEqual([
      [undefined, undefined],
      ['req-7', '4bf92f3577b34da6a3ce929d0e0e4736'],
      ['req-7', '4bf92f3577b34da6a3ce929d0e0e4736'],
      ['req-8', undefined],
    ]);
  });
});

describe('JsonLogger with the paths WHARF_LOG_REDACT accepts', () => {
  it('should build and censor them', () => {
    const config = loadConfig({ WHARF_LOG_REDACT: 'user.email,*.apiKey,headers["x-api-key"]' });
    const lines: string[] = [];
    const logger = new JsonLogger('info', (line) => lines.push(line), { redact: config.logRedact });
    logger.event('info', 'x', { user: { email: 'a@b' }, s: { apiKey: 'k1' }, headers: { 'x-api-key': 'k2' } });
    expect(JSON.parse(lines[0])).toMatchObject({
      user: { email: '[redacted]' },
      s: { apiKey: '[redacted]' },
      headers: { 'x-api-key': '[redacted]' },
    });
  });
});

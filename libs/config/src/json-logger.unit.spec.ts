import { JsonLogger } from './json-logger';

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
});

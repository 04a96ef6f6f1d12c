import { logCreator, logLevel } from 'kafkajs';

/**
 * kafkajs's log as JSON lines on stderr. kafkajs logs every error response at ERROR ("Response
 * ListOffsets ...", "Response Heartbeat ...: The group is rebalancing"), even the transient ones
 * it or we retry; those are demoted to DEBUG. Errors that matter surface as rejected calls.
 */
export function jsonLines(level: logLevel): logCreator {
  return () =>
    ({ namespace, level: entryLevel, label, log }) => {
      const { message, timestamp, ...extra } = log;
      const demoted = entryLevel === logLevel.ERROR && message.startsWith('Response ');
      if (demoted && level < logLevel.DEBUG) return;
      // Deliberate: the producer's retries are bounded so that append fails instead of hanging;
      // a send of unknown outcome makes the adapter re-read the partition (see append).
      if (message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees') return;
      process.stderr.write(
        JSON.stringify({
          ...extra,
          time: timestamp,
          level: demoted ? 'DEBUG' : label,
          logger: `kafkajs.${namespace}`,
          message,
        }) + '\n',
      );
    };
}

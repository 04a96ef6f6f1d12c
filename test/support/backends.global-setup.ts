/**
 * jest globalSetup of the `int` project: resolves the real backing servers once
 * (env variables, else testcontainers, else deploy/local/backends.sh) and puts
 * their endpoints into process.env, which the test workers inherit. Kafka is warmed up
 * first (kafka-warm-up.ts).
 */
import { endpointsToEnv, resolveBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';
import { warmUpKafka } from '../../libs/testing/src/backends/kafka-warm-up';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const endpoints = await resolveBackendEndpoints();
  Object.assign(process.env, endpointsToEnv(endpoints));
  await warmUpKafka(endpoints.kafka.brokers);
  process.stderr.write(
    `\n[backends] ${endpoints.source} endpoints ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
      `kafka=${endpoints.kafka.brokers.join(',')} mongo=${endpoints.mongo.url} ` +
      `s3=${endpoints.s3.endpoint} opensearch=${endpoints.opensearch.url}\n`,
  );
}

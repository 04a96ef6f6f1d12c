import { describeEventLogContract } from '@wharf/testing';
import { kafkaEventLogFixture } from './event-log-kafka.fixture';

// Consumer group joins and rebalances take seconds: generous bounds.
describeEventLogContract('event-log-kafka', () => kafkaEventLogFixture(), {
  eventuallyMs: 20_000,
  testTimeoutMs: 60_000,
});

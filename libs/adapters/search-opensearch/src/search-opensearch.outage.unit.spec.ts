import { DependencyUnavailableError, isOutage } from '@wharf/ports';
import { freePort } from '@wharf/testing';
import { OpenSearchSearchIndex } from './search-opensearch.adapter';

describe('OpenSearchSearchIndex, when OpenSearch cannot be reached', () => {
  it("rejects with the ports' DependencyUnavailableError, the client's error as its cause", async () => {
    // Nothing listens there.
    const error = await OpenSearchSearchIndex.connect({
      node: `http://127.0.0.1:${await freePort()}`,
      indexPrefix: 'outage-',
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'OpenSearch', cause: { name: 'ConnectionError' } });
    expect(isOutage(error)).toBe(true);
  });
});

import { ConfigError, loadConfig } from './wharf-config';

describe('loadConfig: the URLs of the services the gateway calls', () => {
  it('should take one URL per replica, comma-separated', () => {
    const config = loadConfig({
      WHARF_METADATA_URL: 'http://10.0.0.1:5101,http://10.0.0.2:5101',
      WHARF_SEARCH_URL: 'http://search:5102',
      WHARF_BLOB_URL: 'https://blob-a:5103, https://blob-b:5103',
    });

    expect(config.distributed.services).toEqual({
      metadata: 'http://10.0.0.1:5101,http://10.0.0.2:5101',
      search: 'http://search:5102',
      blob: 'https://blob-a:5103, https://blob-b:5103',
    });
  });

  it('should refuse a list with an entry that is not an http(s) URL, naming the variable', () => {
    for (const bad of ['http://a:5101,', 'http://a:5101,b:5101', 'ftp://a:21', '']) {
      expect(() => loadConfig({ WHARF_METADATA_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ WHARF_METADATA_URL: bad })).toThrow(/WHARF_METADATA_URL/);
    }
  });
});

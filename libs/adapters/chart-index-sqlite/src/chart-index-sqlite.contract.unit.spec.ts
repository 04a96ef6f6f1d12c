import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeChartIndexStoreContract } from '@wharf/testing';
import { SqliteChartIndexStore } from './chart-index-sqlite.adapter';

describeChartIndexStoreContract('chart-index-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-charts-'));
  return {
    subject: new SqliteChartIndexStore({ path: join(dir, 'charts.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

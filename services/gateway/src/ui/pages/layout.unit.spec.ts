import { markup } from '../html';
import { ACTION_HEADING, dataTable } from './layout';

describe('dataTable', () => {
  it('writes one column heading per name, escaped unless it is markup, and the rows as given', () => {
    const text = dataTable(['<Release>', ACTION_HEADING], [markup`<tr><td>1.0.0</td></tr>`]).text;
    expect(text.match(/<th scope="col">/g)).toHaveLength(2);
    expect(text).toContain('<th scope="col">&lt;Release&gt;</th>');
    expect(text).toContain('<th scope="col"><span class="muted">Action</span></th>');
    expect(text).toMatch(/<tbody>\s*<tr><td>1\.0\.0<\/td><\/tr>\s*<\/tbody>/);
    expect(text.startsWith('<div class="table-wrap">')).toBe(true);
  });
});

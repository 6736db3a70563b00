// The audit log's logic: an event's before/after read field by field (nested fields,
// lists, added and removed fields), facts without a before/after, and the filters turned
// into the API's instants (Asia/Shanghai days, `to` exclusive).
import { describe, expect, it } from 'vitest';
import { changeCount, diffStates, flatten, formatValue, readSummary } from '@/views/agency/audit/auditDiff';
import { auditApiQuery, rangeOf } from '@/views/agency/audit/auditFilters';

const VERSION_CREATED = {
  version: 2,
  before: { apps: ['pages'], page_quota: 10, yearly_price_fen: 298000, sms_overage_allowed: false },
  after: { apps: ['pages', 'media'], page_quota: 20, yearly_price_fen: 298000, sms_overage_allowed: false },
};

describe('the before/after diff', () => {
  it('flattens nested objects to dotted paths, lists are values', () => {
    expect([...flatten({ name: 'X', terms: { apps: ['a'], quota: { pages: 1 } }, empty: {} })]).toEqual([
      ['name', 'X'],
      ['terms.apps', ['a']],
      ['terms.quota.pages', 1],
      ['empty', {}],
    ]);
  });

  it('marks changed fields first, then unchanged ones; other keys are facts', () => {
    const s = readSummary(VERSION_CREATED);
    expect(s.diff).toEqual([
      { path: 'apps', before: ['pages'], after: ['pages', 'media'], change: 'changed' },
      { path: 'page_quota', before: 10, after: 20, change: 'changed' },
      { path: 'sms_overage_allowed', before: false, after: false, change: 'unchanged' },
      { path: 'yearly_price_fen', before: 298000, after: 298000, change: 'unchanged' },
    ]);
    expect(s.facts).toEqual([{ path: 'version', value: 2 }]);
    expect(changeCount(VERSION_CREATED)).toBe(2);
  });

  it('tells added and removed fields apart, including a missing side', () => {
    expect(diffStates({ a: 1, gone: 'x' }, { a: 1, added: { deep: true } })).toEqual([
      { path: 'added.deep', before: undefined, after: true, change: 'added' },
      { path: 'gone', before: 'x', after: undefined, change: 'removed' },
      { path: 'a', before: 1, after: 1, change: 'unchanged' },
    ]);
    expect(readSummary({ after: { status: 'active' } }).diff).toEqual([
      { path: 'status', before: undefined, after: 'active', change: 'added' },
    ]);
    expect(readSummary({ before: { status: 'active' }, after: null }).diff?.[0]?.change).toBe('removed');
  });

  it('shows a summary without before/after as facts', () => {
    expect(readSummary({ name: 'X', terms: { page_quota: 10 } })).toEqual({
      diff: null,
      facts: [
        { path: 'name', value: 'X' },
        { path: 'terms.page_quota', value: 10 },
      ],
    });
    expect(readSummary(null)).toEqual({ diff: null, facts: [] });
    expect(changeCount({ name: 'X' })).toBe(0);
  });

  it('writes values as words', () => {
    expect(formatValue(null, 'yes', 'no')).toBe('—');
    expect(formatValue(undefined, 'yes', 'no')).toBe('—');
    expect(formatValue(true, 'yes', 'no')).toBe('yes');
    expect(formatValue(['pages', 'media'], 'yes', 'no')).toBe('pages, media');
    expect(formatValue([], 'yes', 'no')).toBe('—');
    expect(formatValue({ a: 1 }, 'yes', 'no')).toBe('{"a":1}');
  });
});

describe('the audit filters', () => {
  const none = { tenant_id: null, actor_id: null, action: null, from: null, to: null };

  it('turns days into Asia/Shanghai instants, the last day included', () => {
    expect(auditApiQuery({ ...none, from: '2026-12-01', to: '2026-12-31', action: 'plan.' })).toEqual({
      action: 'plan.',
      from: '2026-12-01T00:00:00+08:00',
      to: '2027-01-01T00:00:00+08:00',
    });
  });

  it('ignores days that are not days, and passes ids through', () => {
    const id = '01a25106-659d-75e9-9485-8a1713fe3be6';
    expect(auditApiQuery({ ...none, tenant_id: id, actor_id: id, from: '2026-02-30', to: 'soon' })).toEqual({ tenant_id: id, actor_id: id });
    expect(rangeOf({ ...none, from: '2026-12-01', to: '2026-12-07' })).toEqual(['2026-12-01', '2026-12-07']);
    expect(rangeOf({ ...none, from: '2026-12-01' })).toBeNull();
  });
});

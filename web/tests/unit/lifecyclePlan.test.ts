// The lifecycle screen's logic: the plan as table rows and as month cells (Monday-first
// weeks, days outside the plan marked), the year form's date lists, and the year dialog
// marking the server's 422 (a make-up day on a Tuesday) at its field.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { i18n } from '@/i18n';
import CalendarYearDialog from '@/views/agency/lifecycle/CalendarYearDialog.vue';
import { formatDateList, inBoth, normalizeDate, parseDateList, weekday } from '@/views/agency/lifecycle/calendarYear';
import { addMonth, monthCells, monthsBetween, planRows, type PlannedDay } from '@/views/agency/lifecycle/lifecyclePlan';

const T1 = '01a25106-659d-75e9-9485-8a1713fe3be6';
const T2 = '01a25106-65c8-7353-becc-c7953e494b80';
const PLAN: PlannedDay[] = [
  {
    date: '2026-12-20',
    actions: [
      { action: 'freeze', at: '2026-12-19T16:00:00Z', tenant_id: T2, business_name: '好味小馆', reason: 'term ended 2026-12-19' },
      { action: 'deletion_unscheduled', at: null, tenant_id: T2, business_name: '好味小馆', reason: 'calendar does not cover 2027' },
    ],
  },
  { date: '2026-12-07', actions: [{ action: 'freeze', at: '2026-12-07T15:01:43Z', tenant_id: T1, business_name: '一号店', reason: 'term ended' }] },
  { date: '2026-12-12', actions: [{ action: 'reminder', at: '2026-12-12T02:00:00Z', tenant_id: T2, business_name: '好味小馆', reason: '7 days before' }] },
];

describe('the plan as table rows', () => {
  it('lists every action in date order and flags unknown deletion dates', () => {
    const rows = planRows(PLAN);
    expect(rows.map((r) => [r.date, r.action.action, r.deletionUnknown])).toEqual([
      ['2026-12-07', 'freeze', false],
      ['2026-12-12', 'reminder', false],
      ['2026-12-20', 'freeze', false],
      ['2026-12-20', 'deletion_unscheduled', true],
    ]);
  });
});

describe('the plan as a month calendar', () => {
  it('builds Monday-first weeks covering the whole month', () => {
    const weeks = monthCells('2026-12', PLAN, '2026-12-07', '2026-12-07', '2027-01-06');
    // 1 Dec 2026 is a Tuesday: the grid starts on Monday 30 Nov and ends on Sunday 3 Jan.
    expect(weeks).toHaveLength(5);
    expect(weeks[0]![0]!.date).toBe('2026-11-30');
    expect(weeks[0]![0]!.inMonth).toBe(false);
    expect(weeks[4]![6]!.date).toBe('2027-01-03');
    expect(weeks.every((w) => w.length === 7)).toBe(true);
  });

  it('puts each day’s actions and counts in its cell, marks today and the unplanned days', () => {
    const cells = monthCells('2026-12', PLAN, '2026-12-07', '2026-12-07', '2026-12-31').flat();
    const byDate = new Map(cells.map((c) => [c.date, c]));
    expect(byDate.get('2026-12-07')!.today).toBe(true);
    expect(byDate.get('2026-12-06')!.planned).toBe(false);
    expect(byDate.get('2026-12-07')!.planned).toBe(true);
    expect(byDate.get('2027-01-01')!.planned).toBe(false);
    expect(byDate.get('2026-12-20')!.counts).toEqual([
      { kind: 'freeze', count: 1 },
      { kind: 'deletion_unscheduled', count: 1 },
    ]);
    expect(byDate.get('2026-12-20')!.actions).toHaveLength(2);
    expect(byDate.get('2026-12-13')!.counts).toEqual([]);
  });

  it('handles a month starting on Monday and lists the months of the plan', () => {
    const weeks = monthCells('2027-02', [], '2027-02-01', '2027-02-01', '2027-02-28');
    expect(weeks[0]![0]!.date).toBe('2027-02-01');
    expect(weeks).toHaveLength(4);
    expect(addMonth('2026-12', 1)).toBe('2027-01');
    expect(monthsBetween('2026-12-07', '2027-03-06')).toEqual(['2026-12', '2027-01', '2027-02', '2027-03']);
  });
});

describe('the year form’s date lists', () => {
  it('reads dates one per line, separated by commas, and ranges', () => {
    const parsed = parseDateList('2027-01-01\n2027-02-06 ~ 2027-02-08，2027/5/1、2027年10月1日 至 2027年10月2日', 2027);
    expect(parsed.problems).toEqual([]);
    expect(parsed.dates).toEqual(['2027-01-01', '2027-02-06', '2027-02-07', '2027-02-08', '2027-05-01', '2027-10-01', '2027-10-02']);
  });

  it('drops duplicates and sorts', () => {
    expect(parseDateList('2027-02-07 2027-02-06..2027-02-07', 2027).dates).toEqual(['2027-02-06', '2027-02-07']);
  });

  it('names what is not a date of that year', () => {
    expect(parseDateList('2027-02-30', 2027).problems).toEqual([{ kind: 'notADate', token: '2027-02-30' }]);
    expect(parseDateList('soon', 2027).problems).toEqual([{ kind: 'notADate', token: 'soon' }]);
    expect(parseDateList('2028-01-01', 2027).problems).toEqual([{ kind: 'otherYear', token: '2028-01-01' }]);
    expect(parseDateList('2027-02-08~2027-02-06', 2027).problems).toEqual([{ kind: 'backwards', token: '2027-02-08~2027-02-06' }]);
    expect(parseDateList('2027-01-01~2027-12-31', 2027).problems[0]?.kind).toBe('tooLong');
    expect(parseDateList('', 2027)).toEqual({ dates: [], problems: [] });
  });

  it('normalizes dates, finds dates in both lists, knows the weekday', () => {
    expect(normalizeDate('2027-2-6')).toBe('2027-02-06');
    expect(normalizeDate('2027-13-01')).toBeNull();
    expect(inBoth(['2027-01-01', '2027-02-06'], ['2027-02-06', '2027-02-20'])).toEqual(['2027-02-06']);
    expect(weekday('2027-01-05')).toBe(1); // a Tuesday
    expect(weekday('2027-02-20')).toBe(5); // a Saturday
    expect(formatDateList(['2027-01-01', '2027-01-02'])).toBe('2027-01-01\n2027-01-02');
  });
});

describe('the add-a-year dialog', () => {
  let requests: { method: string; path: string; body: unknown }[] = [];
  let answer: () => Response;
  beforeEach(() => {
    setActivePinia(createPinia());
    requests = [];
    i18n.global.locale.value = 'en';
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const text = await req.clone().text();
        requests.push({ method: req.method, path: new URL(req.url).pathname, body: text ? JSON.parse(text) : null });
        return answer();
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    document.body.innerHTML = '';
  });

  async function settle(): Promise<void> {
    await flushPromises();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await nextTick();
  }
  function fieldError(path: string): string | null {
    const el = document.querySelector(`[data-field="${path}"]`);
    if (!el) throw new Error(`no field ${path}`);
    return el.querySelector('.el-form-item__error')?.textContent?.trim() ?? null;
  }
  async function openDialog() {
    const open = ref(false);
    const saved: unknown[] = [];
    const Host = defineComponent({
      setup: () => () =>
        h(CalendarYearDialog, {
          modelValue: open.value,
          'onUpdate:modelValue': (v: boolean) => (open.value = v),
          year: 2027,
          existing: null,
          onSaved: (y: unknown) => saved.push(y),
        }),
    });
    mount(Host, { global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } }, attachTo: document.body });
    open.value = true;
    await settle();
    return { open, saved };
  }
  async function type(testid: string, value: string): Promise<void> {
    const el = document.querySelector<HTMLTextAreaElement>(`[data-testid="${testid}"] textarea, textarea[data-testid="${testid}"]`);
    if (!el) throw new Error(`no ${testid}`);
    el.value = value;
    el.dispatchEvent(new Event('input'));
    await nextTick();
  }
  function submit(): void {
    document.querySelector<HTMLButtonElement>('[data-testid="year-submit"]')!.click();
  }

  it('sends the parsed lists and shows the server’s 422 at the make-up days', async () => {
    const { open } = await openDialog();
    await type('year-holidays', '2027-01-01\n2027-02-06 ~ 2027-02-07');
    await type('year-workdays', '2027-01-05');
    answer = () =>
      new Response(
        JSON.stringify({
          code: 'validation_failed',
          message: 'Field workdays[0] is invalid: make-up day 2027-01-05 is not a Saturday or Sunday',
          details: { field: 'workdays[0]' },
        }),
        { status: 422, headers: { 'content-type': 'application/json' } },
      );
    submit();
    await settle();
    expect(requests).toEqual([
      { method: 'PUT', path: '/api/v1/calendar/years/2027', body: { holidays: ['2027-01-01', '2027-02-06', '2027-02-07'], workdays: ['2027-01-05'], source: null } },
    ]);
    expect(fieldError('workdays')).toBe('Make-up day 2027-01-05 is not a Saturday or Sunday');
    expect(fieldError('holidays')).toBeNull();
    expect(open.value).toBe(true);
  });

  it('catches what is not a date before asking the server', async () => {
    await openDialog();
    await type('year-holidays', '2027-01-01, 2027-02-30');
    submit();
    await settle();
    expect(requests).toEqual([]);
    expect(fieldError('holidays')).toBe('“2027-02-30” is not a date; write it like 2027-02-06');
  });

  it('closes and reports the year once the server adds it', async () => {
    const { open, saved } = await openDialog();
    await type('year-holidays', '2027-01-01');
    await type('year-workdays', '2027-02-20');
    const year = { year: 2027, source: 'database', holidays: ['2027-01-01'], workdays: ['2027-02-20'], working_days: 251 };
    answer = () => new Response(JSON.stringify(year), { status: 201, headers: { 'content-type': 'application/json' } });
    submit();
    await settle();
    expect(open.value).toBe(false);
    expect(saved).toEqual([year]);
  });
});

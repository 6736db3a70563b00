import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { flushPromises, mount } from '@vue/test-utils';
import ListScreen from '@/components/ListScreen.vue';
import { useCursorList, type CursorPage } from '@/composables/cursorList';
import { ApiProblem } from '@/api/problem';
import { i18n } from '@/i18n';

type Row = { id: string };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function harness(load: (cursor: string | null) => Promise<CursorPage<Row>>, filtered = false) {
  const Host = defineComponent({
    setup() {
      const list = useCursorList<Row>(load, () => 'fallback');
      void list.reload();
      return () =>
        h(
          ListScreen<Row>,
          { list, emptyTitle: 'No tenants yet', emptyHint: 'Provision the first one.', filtered },
          { default: ({ items }: { items: Row[] }) => h('ul', items.map((i) => h('li', { key: i.id }, i.id))) },
        );
    },
  });
  return mount(Host, { global: { plugins: [i18n] } });
}

describe('ListScreen', () => {
  it('shows loading, then the rows, then pages on with the cursor', async () => {
    i18n.global.locale.value = 'en';
    const first = deferred<CursorPage<Row>>();
    const cursors: (string | null)[] = [];
    const wrapper = harness((cursor) => {
      cursors.push(cursor);
      return cursor === null ? first.promise : Promise.resolve({ items: [{ id: 'c' }], next_cursor: null });
    });
    expect(wrapper.find('[data-testid="list-loading"]').exists()).toBe(true);

    first.resolve({ items: [{ id: 'a' }, { id: 'b' }], next_cursor: 'cur-1' });
    await flushPromises();
    expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['a', 'b']);

    await wrapper.get('[data-testid="list-more"]').trigger('click');
    await flushPromises();
    expect(cursors).toEqual([null, 'cur-1']);
    expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['a', 'b', 'c']);
    expect(wrapper.find('[data-testid="list-more"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('All 3 shown');
  });

  it('says what to do when empty, and offers to clear filters when filtered', async () => {
    i18n.global.locale.value = 'en';
    const empty = harness(async () => ({ items: [] }));
    await flushPromises();
    expect(empty.get('[data-testid="list-empty"]').text()).toContain('Provision the first one.');

    const filtered = harness(async () => ({ items: [] }), true);
    await flushPromises();
    const text = filtered.get('[data-testid="list-empty"]').text();
    expect(text).toContain('Nothing matches');
    expect(text).toContain('Clear filters');
  });

  it("shows the server's message when loading fails", async () => {
    const wrapper = harness(async () => {
      throw new ApiProblem({ status: 422, code: 'validation_failed', message: '字段 status 无效：未知的状态' });
    });
    await flushPromises();
    expect(wrapper.text()).toContain('字段 status 无效：未知的状态');
  });
});

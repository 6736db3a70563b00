import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';
import { mount } from '@vue/test-utils';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { filtersToApiQuery, hasFilters, readFilters, useRouteFilters, writeFilters } from '@/composables/listQuery';
import { TENANT_FILTERS } from '@/views/agency/tenantFilters';

const MANAGER = '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f6';

describe('filters ⇄ URL query', () => {
  it('reads typed filters and drops what is malformed', () => {
    const f = readFilters(TENANT_FILTERS, {
      q: '  haowei ',
      status: 'frozen',
      hold: 'nonsense',
      account_manager_id: MANAGER.toUpperCase(),
      plan_id: 'not-a-uuid',
      ends_within_days: '30',
    });
    expect(f).toEqual({
      q: 'haowei',
      status: 'frozen',
      hold: null,
      plan_id: null,
      account_manager_id: MANAGER,
      ends_within_days: 30,
    });
    expect(readFilters(TENANT_FILTERS, { ends_within_days: '99999' }).ends_within_days).toBeNull();
    expect(readFilters(TENANT_FILTERS, { ends_within_days: 'abc' }).ends_within_days).toBeNull();
  });

  it('writes only what is set, and round-trips', () => {
    const values = readFilters(TENANT_FILTERS, {});
    expect(hasFilters(TENANT_FILTERS, values)).toBe(false);
    expect(writeFilters(TENANT_FILTERS, values)).toEqual({});
    values.status = 'active';
    values.ends_within_days = 7;
    values.q = '138';
    const query = writeFilters(TENANT_FILTERS, values);
    expect(query).toEqual({ status: 'active', ends_within_days: '7', q: '138' });
    expect(readFilters(TENANT_FILTERS, query as Record<string, string>)).toEqual(values);
    expect(filtersToApiQuery(TENANT_FILTERS, values)).toEqual({ status: 'active', ends_within_days: 7, q: '138' });
  });

  it('keeps a screen’s filters in the route: apply() writes the URL, the URL drives the list', async () => {
    const seen: string[] = [];
    let api: ReturnType<typeof useRouteFilters<typeof TENANT_FILTERS>> | null = null;
    const Screen = defineComponent({
      setup() {
        api = useRouteFilters(TENANT_FILTERS);
        return () => h('div', JSON.stringify(api?.applied));
      },
    });
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/tenants', component: Screen },
        { path: '/elsewhere', component: { render: () => h('p', 'elsewhere') } },
      ],
    });
    await router.push('/tenants?status=pending&ends_within_days=30');
    const wrapper = mount(defineComponent({ render: () => h(RouterView) }), { global: { plugins: [router] } });
    await router.isReady();
    expect(api!.applied.status).toBe('pending');
    expect(api!.applied.ends_within_days).toBe(30);

    api!.draft.status = 'frozen';
    api!.draft.hold = 'overdue';
    await api!.apply();
    expect(router.currentRoute.value.query).toEqual({ status: 'frozen', hold: 'overdue', ends_within_days: '30' });
    expect(api!.applied.status).toBe('frozen');
    seen.push(wrapper.text());

    await router.back();
    await new Promise((r) => setTimeout(r, 20));
    await nextTick();
    expect(api!.applied.status).toBe('pending');
    expect(api!.applied.hold).toBeNull();

    await api!.reset();
    expect(router.currentRoute.value.query).toEqual({});
    expect(api!.applied.status).toBeNull();
    expect(seen[0]).toContain('"status":"frozen"');
  });
});

// The agency's branding as the header and the sign-in page read it: the product's name
// until the public GET answers (or when it fails, or the name is blank), the agency's name
// and logo once it does, one request for every screen, and an admin's change shown at once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent } from 'vue';
import { mount } from '@vue/test-utils';
import { i18n } from '@/i18n';

const get = vi.fn();
vi.mock('@/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/api')>();
  return {
    ...actual,
    api: { GET: (...args: unknown[]) => get(...args) },
    call: async (pending: Promise<unknown>) => pending,
  };
});

async function freshBranding() {
  vi.resetModules();
  return import('@/composables/branding');
}

function use(mod: Awaited<ReturnType<typeof freshBranding>>) {
  let out: ReturnType<typeof mod.useBranding> | null = null;
  mount(defineComponent({ setup: () => ((out = mod.useBranding()), () => null) }), { global: { plugins: [i18n] } });
  return out!;
}

afterEach(() => get.mockReset());

describe('the branding in the header and on the sign-in page', () => {
  it("shows the agency's name and logo once loaded, asking once for every screen", async () => {
    get.mockResolvedValue({ name: '好帮手数字科技', logo_url: '/api/v1/branding/logo?v=3', updated_at: null });
    const mod = await freshBranding();
    const header = use(mod);
    const signIn = use(mod);
    expect(header.name.value).toBe(i18n.global.t('app.name'));
    await mod.loadBranding();
    expect(header.name.value).toBe('好帮手数字科技');
    expect(signIn.logoUrl.value).toBe('/api/v1/branding/logo?v=3');
    expect(get).toHaveBeenCalledTimes(1);
    expect(get).toHaveBeenCalledWith('/api/v1/branding');
  });

  it("falls back to the product's name when unset, blank or unreachable, and takes an admin's change at once", async () => {
    get.mockRejectedValueOnce(new Error('offline'));
    const mod = await freshBranding();
    const b = use(mod);
    await mod.loadBranding();
    expect(b.name.value).toBe(i18n.global.t('app.name'));
    expect(b.logoUrl.value).toBeNull();
    mod.setBranding({ name: '  ', logo_url: null, updated_at: null });
    expect(b.name.value).toBe(i18n.global.t('app.name'));
    mod.setBranding({ name: '山海传媒', logo_url: null, updated_at: null });
    expect(b.name.value).toBe('山海传媒');
  });
});

// The asset screen's words: a refused upload is said about that file with its size and
// the limit (413), what is accepted (422 unsupported_file_type), how much storage is left
// (422 quota_exceeded); and a refused delete's 409 `in_use` details become the places.
import { describe, expect, it } from 'vitest';
import { ApiProblem } from '@/api/problem';
import { i18n, setLanguage } from '@/i18n';
import '@/views/merchant/merchantMessages';
import {
  formatSize,
  quotaPercent,
  uploadRefusal,
  usesFromUsage,
  useText,
} from '@/views/merchant/assets/assetWords';

const t = (key: string, params?: Record<string, unknown>) => i18n.global.t(key, params ?? {});
const file = { name: 'banner.png', size: 3 * 1024 * 1024 };

describe('formatSize and quotaPercent', () => {
  it('reads bytes as B, KB, MB and GB', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3 MB');
    expect(formatSize(1024 ** 3)).toBe('1 GB');
    expect(formatSize(200 * 1024 + 300)).toBe('200 KB');
  });
  it('is a percentage of the quota, capped at 100', () => {
    expect(quotaPercent(0, 1000)).toBe(0);
    expect(quotaPercent(250, 1000)).toBe(25);
    expect(quotaPercent(2000, 1000)).toBe(100);
    expect(quotaPercent(1, 0)).toBe(100);
  });
});

describe('uploadRefusal', () => {
  it('names the file, its size and the image limit for a 413', () => {
    setLanguage('en');
    const e = new ApiProblem({
      status: 413,
      code: 'payload_too_large',
      message: 'The request body is too large.',
      details: { kind: 'image', limit_bytes: 200 * 1024, size_bytes: 3 * 1024 * 1024 },
    });
    expect(uploadRefusal(e, file, t)).toBe(
      '“banner.png” was not uploaded: it is 3 MB, and an image can be at most 200 KB. Save it smaller (fewer pixels or more compression) and try again.',
    );
    setLanguage('zh-CN');
    expect(uploadRefusal(e, file, t)).toContain('图片最大 200 KB');
  });

  it('uses the file’s own size when the server only says the limit (stopped while reading)', () => {
    setLanguage('en');
    const e = new ApiProblem({ status: 413, code: 'payload_too_large', message: 'x', details: { limit_bytes: 1024 * 1024 } });
    expect(uploadRefusal(e, file, t)).toContain('it is 3 MB, and an image can be at most 1 MB');
  });

  it('says a video’s limit for a video', () => {
    setLanguage('en');
    const e = new ApiProblem({ status: 413, code: 'payload_too_large', message: 'x', details: { kind: 'video', limit_bytes: 50 * 1024 * 1024, size_bytes: 60 * 1024 * 1024 } });
    expect(uploadRefusal(e, { name: 'shop.mp4', size: 1 }, t)).toContain('a video can be at most 50 MB');
  });

  it('says what is accepted for a file that is not an image', () => {
    setLanguage('en');
    const e = new ApiProblem({ status: 422, code: 'unsupported_file_type', message: 'Unsupported file' });
    expect(uploadRefusal(e, { name: 'notes.txt', size: 10 }, t)).toBe(
      '“notes.txt” was not uploaded: it is not a PNG, JPEG, GIF or WebP image or an MP4 video (the content decides, not the file name).',
    );
  });

  it('says how much storage is left for a quota refusal', () => {
    setLanguage('en');
    const e = new ApiProblem({
      status: 422,
      code: 'quota_exceeded',
      message: 'This exceeds the plan quota.',
      details: { kind: 'storage', used: 900 * 1024, limit: 1024 * 1024, requested: 300 * 1024 },
    });
    expect(uploadRefusal(e, file, t)).toContain('it needs 300 KB, and only 124 KB of your 1 MB storage is left');
  });

  it('passes any other refusal on with the server’s message', () => {
    setLanguage('en');
    const e = new ApiProblem({ status: 403, code: 'tenant_frozen', message: 'The subscription has expired.' });
    expect(uploadRefusal(e, file, t)).toBe('“banner.png” was not uploaded: The subscription has expired.');
    expect(uploadRefusal(new Error('boom'), file, t)).toBe(t('errors.unexpected'));
  });
});

describe('where an asset is used', () => {
  it('reads used_by / the 409 in_use details: pages with draft and versions, and the tab bar', () => {
    setLanguage('en');
    const uses = usesFromUsage({
      pages: [
        { page_id: 'p1', slug: 'home', title: 'Home', draft: true, versions: [1, 2] },
        { page_id: 'p2', slug: 'about', title: '', draft: false, versions: [3] },
        { page_id: 'p3', slug: 'menu', title: '今日菜单', draft: true, versions: [] },
      ],
      tab_bar: true,
    });
    expect(uses?.map((u) => useText(u, t))).toEqual([
      'Page “Home” (draft and saved versions 1, 2)',
      'Saved versions 3 of page “about”',
      'Page “今日菜单”',
      'The tab bar',
    ]);
    expect(uses?.[0]?.pageId).toBe('p1');
    setLanguage('zh-CN');
    expect(useText(uses![3]!, t)).toBe('底部导航');
  });

  it('is empty for an unused asset and null when the server did not say', () => {
    expect(usesFromUsage({ pages: [], tab_bar: false })).toEqual([]);
    expect(usesFromUsage(undefined)).toBeNull();
    expect(usesFromUsage({ reason: 'x' })).toBeNull();
  });
});

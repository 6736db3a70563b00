/**
 * The asset screen's words for numbers and refusals: sizes in KB/MB/GB, an upload the
 * server refused said about *that file* (its name, its size and the limit, what types are
 * accepted, how much storage is left), and where an asset is used.
 *
 * Pure (the translate function is passed in) so the wording is unit-tested.
 */
import { ApiProblem } from '@/api/problem';

export type Translate = (key: string, params?: Record<string, unknown>) => string;

const KB = 1024;
const MB = KB * 1024;
const GB = MB * 1024;

function trimmed(n: number): string {
  return n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, '');
}

/** 512 → "512 B", 1536 → "1.5 KB", 3·2^20 → "3 MB". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes >= GB) return `${trimmed(bytes / GB)} GB`;
  if (bytes >= MB) return `${trimmed(bytes / MB)} MB`;
  if (bytes >= KB) return `${trimmed(bytes / KB)} KB`;
  return `${bytes} B`;
}

/** Percentage of the quota in use, 0–100 (a full quota of 0 is full). */
export function quotaPercent(used: number, quota: number): number {
  if (quota <= 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.round((used / quota) * 1000) / 10);
}

function num(details: unknown, key: string): number | null {
  if (details && typeof details === 'object') {
    const v = (details as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

function str(details: unknown, key: string): string | null {
  if (details && typeof details === 'object') {
    const v = (details as Record<string, unknown>)[key];
    if (typeof v === 'string') return v;
  }
  return null;
}

/**
 * Why this file was not stored, in words the merchant can act on. The codes are the
 * upload's (docs/error-codes.md): 413 `payload_too_large` (`limit_bytes`, `size_bytes`,
 * `kind`), 422 `unsupported_file_type`, `file_not_whole`, `quota_exceeded` (`used`,
 * `limit`, `requested`); anything else is the server's own localized message.
 */
export function uploadRefusal(error: unknown, file: { name: string; size: number }, t: Translate): string {
  if (!(error instanceof ApiProblem)) return t('errors.unexpected');
  const name = file.name;
  switch (error.code) {
    case 'payload_too_large': {
      const limit = num(error.details, 'limit_bytes');
      const size = num(error.details, 'size_bytes') ?? file.size;
      const kind = str(error.details, 'kind');
      if (limit === null) return t('merchant.assets.refused.tooLargeNoLimit', { name, size: formatSize(size) });
      return kind === 'video'
        ? t('merchant.assets.refused.videoTooLarge', { name, size: formatSize(size), limit: formatSize(limit) })
        : t('merchant.assets.refused.imageTooLarge', { name, size: formatSize(size), limit: formatSize(limit) });
    }
    case 'unsupported_file_type':
      return t('merchant.assets.refused.notAnImage', { name });
    case 'file_not_whole':
      return t('merchant.assets.refused.notWhole', { name });
    case 'quota_exceeded': {
      const used = num(error.details, 'used');
      const limit = num(error.details, 'limit');
      const requested = num(error.details, 'requested') ?? file.size;
      if (used === null || limit === null) return t('merchant.assets.refused.quotaNoNumbers', { name });
      return t('merchant.assets.refused.quota', {
        name,
        size: formatSize(requested),
        left: formatSize(Math.max(0, limit - used)),
        limit: formatSize(limit),
      });
    }
    default:
      return t('merchant.assets.refused.other', { name, message: error.message });
  }
}

/** One place an asset is used. */
export interface AssetUse {
  kind: 'page' | 'tab_bar';
  pageId: string | null;
  /** The page's title, or its slug when only that is known. */
  label: string | null;
  /** Only in earlier versions of the page (not the draft): the versions' numbers. */
  versions: number[];
  draft: boolean;
}

/**
 * Where an asset is used, from `used_by` on the asset or from the details of a refused
 * delete (409 `in_use`) — both `{pages: [{page_id, slug, title, draft, versions}], tab_bar}`.
 * Null when there is no such object (an older server that does not say).
 */
export function usesFromUsage(usage: unknown): AssetUse[] | null {
  if (!usage || typeof usage !== 'object') return null;
  const rec = usage as Record<string, unknown>;
  if (!Array.isArray(rec.pages) && typeof rec.tab_bar !== 'boolean') return null;
  const out: AssetUse[] = [];
  for (const p of Array.isArray(rec.pages) ? rec.pages : []) {
    if (!p || typeof p !== 'object') continue;
    const page = p as Record<string, unknown>;
    const title = typeof page.title === 'string' && page.title ? page.title : null;
    out.push({
      kind: 'page',
      pageId: typeof page.page_id === 'string' ? page.page_id : null,
      label: title ?? (typeof page.slug === 'string' ? page.slug : null),
      draft: page.draft !== false,
      versions: Array.isArray(page.versions) ? page.versions.filter((v): v is number => typeof v === 'number') : [],
    });
  }
  if (rec.tab_bar === true) out.push({ kind: 'tab_bar', pageId: null, label: null, versions: [], draft: true });
  return out;
}

/** One use in words: "Page “Home” (draft and versions 1, 2)", "The tab bar". */
export function useText(use: AssetUse, t: Translate): string {
  if (use.kind === 'tab_bar') return t('merchant.assets.usedTabBar');
  const page = use.label ?? t('merchant.assets.untitledPage');
  if (use.versions.length === 0) return t('merchant.assets.usedPage', { page });
  const versions = use.versions.join(', ');
  return use.draft
    ? t('merchant.assets.usedPageDraftAndVersions', { page, versions })
    : t('merchant.assets.usedPageVersions', { page, versions });
}

/**
 * Labels of the deploy's steps and statuses, and WeChat's version info read for people.
 * Literal keys (the i18n key test checks each one).
 */
import type { Translate } from '../assets/assetWords';

export function stepLabel(name: string, t: Translate): string {
  switch (name) {
    case 'domains':
      return t('merchant.wechat.step.domains');
    case 'commit':
      return t('merchant.wechat.step.commit');
    case 'privacy_scan':
      return t('merchant.wechat.step.privacy_scan');
    case 'qrcode':
      return t('merchant.wechat.step.qrcode');
    case 'quota':
      return t('merchant.wechat.step.quota');
    case 'submit_audit':
      return t('merchant.wechat.step.submit_audit');
    case 'audit':
      return t('merchant.wechat.step.audit');
    case 'release':
      return t('merchant.wechat.step.release');
    default:
      return name;
  }
}

export function runStatusText(status: string, gray: number | null | undefined, t: Translate): string {
  switch (status) {
    case 'running':
      return t('merchant.wechat.status.running');
    case 'waiting_audit':
      return t('merchant.wechat.status.waiting_audit');
    case 'awaiting_release':
      return t('merchant.wechat.status.awaiting_release');
    case 'gray':
      return t('merchant.wechat.status.gray', { percent: gray ?? 0 });
    case 'released':
      return t('merchant.wechat.status.released');
    case 'failed':
      return t('merchant.wechat.status.failed');
    case 'withdrawn':
      return t('merchant.wechat.status.withdrawn');
    case 'paused':
      return t('merchant.wechat.status.paused');
    default:
      return status;
  }
}

export interface VersionFacts {
  online: { version: string; description: string | null } | null;
  trial: { version: string; description: string | null } | null;
}

/** `getversioninfo` as WeChat answers it: `release_info` and `exp_info`. */
export function versionFacts(info: unknown): VersionFacts {
  const rec = info && typeof info === 'object' ? (info as Record<string, unknown>) : {};
  const pick = (key: string, version: string, desc: string) => {
    const v = rec[key];
    if (!v || typeof v !== 'object') return null;
    const r = v as Record<string, unknown>;
    const ver = r[version];
    if (typeof ver !== 'string' || !ver) return null;
    return { version: ver, description: typeof r[desc] === 'string' ? (r[desc] as string) : null };
  };
  return { online: pick('release_info', 'release_version', 'release_desc'), trial: pick('exp_info', 'exp_version', 'exp_desc') };
}

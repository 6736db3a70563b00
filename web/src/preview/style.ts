/**
 * The mini-program's inline-style helpers (miniprogram/lib/style.js), so the preview
 * clamps and falls back exactly as the phone does. Sizes: the phone frame is 375 CSS px
 * wide and the mini-program's screen 750 rpx, so 1 rpx = 0.5 px.
 */

/** The colour if it is one (#RGB or #RRGGBB), else null: page JSON never reaches CSS raw. */
export function colour(value: unknown): string | null {
  return typeof value === 'string' && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value) ? value : null;
}

/** A whole number within [min, max], else the fallback. */
export function clampInt(value: unknown, fallback: number, min = 0, max = 2000): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** One of the allowed words, else the first. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T {
  return allowed.includes(value as T) ? (value as T) : allowed[0]!;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A link the phone follows, or null. */
export function linkOf(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}

/** rpx → CSS px in the 375 px frame. */
export function rpx(value: number): string {
  return `${value / 2}px`;
}

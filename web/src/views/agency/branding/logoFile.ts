/**
 * The logo file rules the server applies (PUT /api/v1/branding/logo), checked before the
 * upload so a wrong file is named at once; the server's own check still decides.
 */
export const LOGO_MAX_BYTES = 256 * 1024;
export const LOGO_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp'];

export type LogoProblem = 'type' | 'size' | null;

export function logoProblem(file: { type: string; size: number }): LogoProblem {
  if (!LOGO_TYPES.includes(file.type)) return 'type';
  if (file.size > LOGO_MAX_BYTES) return 'size';
  return null;
}

/**
 * The link kinds a `"format": "link"` property takes, split into the inputs the picker
 * shows and built back into the link string. The checks mirror the server's `is_link`
 * (src/domain/schema.rs); the server still decides (its 422 shows at the field).
 */
export type LinkKind = 'none' | 'page' | 'url' | 'tel' | 'geo' | 'miniprogram';

export interface PhoneDraft {
  number: string;
}
export interface MapPointDraft {
  lat: string;
  lng: string;
  name: string;
  address: string;
}
export interface MiniProgramDraft {
  appid: string;
  path: string;
}

/** What is wrong with a draft, one entry per bad input. */
export type LinkProblem = 'phone' | 'latitude' | 'longitude' | 'placeName' | 'placeAddress' | 'appid' | 'miniProgramPath';

export const PLACE_TEXT_MAX = 100;
export const MINI_PROGRAM_PATH_MAX = 200;

export function linkKindOf(link: string): LinkKind {
  if (link === '') return 'none';
  if (link.startsWith('pages/')) return 'page';
  if (link.startsWith('tel:')) return 'tel';
  if (link.startsWith('geo:')) return 'geo';
  if (link.startsWith('miniprogram:')) return 'miniprogram';
  return 'url';
}

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
function charCount(text: string): number {
  return [...text].length;
}
const CONTROL = /\p{Cc}/u;
const WHITESPACE_OR_CONTROL = /[\p{White_Space}\p{Cc}]/u;
/** A decimal number as the server's f64 parser reads it (no hex, no empty text). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

// ---- phone: tel:<number> ----

export function buildPhone(draft: PhoneDraft): string {
  return `tel:${draft.number.trim()}`;
}

export function parsePhone(link: string): PhoneDraft | null {
  return link.startsWith('tel:') ? { number: link.slice('tel:'.length) } : null;
}

function phoneOk(number: string): boolean {
  const digits = number.replace(/\D/g, '').length;
  return number.length >= 3 && number.length <= 20 && digits >= 3 && /^[0-9+\- ]*$/.test(number);
}

/** The number as it will be sent (trimmed). */
export function phoneProblems(draft: PhoneDraft): LinkProblem[] {
  return phoneOk(draft.number.trim()) ? [] : ['phone'];
}

// ---- map point: geo:<lat>,<lng>[?name=…&address=…] ----

export function buildMapPoint(draft: MapPointDraft): string {
  const query = new URLSearchParams();
  const name = draft.name.trim();
  const address = draft.address.trim();
  if (name) query.set('name', name);
  if (address) query.set('address', address);
  const q = query.toString();
  return `geo:${draft.lat.trim()},${draft.lng.trim()}${q ? `?${q}` : ''}`;
}

export function parseMapPoint(link: string): MapPointDraft | null {
  if (!link.startsWith('geo:')) return null;
  const point = link.slice('geo:'.length);
  const mark = point.indexOf('?');
  const coordinates = mark < 0 ? point : point.slice(0, mark);
  const query = new URLSearchParams(mark < 0 ? '' : point.slice(mark + 1));
  const comma = coordinates.indexOf(',');
  return {
    lat: comma < 0 ? coordinates : coordinates.slice(0, comma),
    lng: comma < 0 ? '' : coordinates.slice(comma + 1),
    name: query.get('name') ?? '',
    address: query.get('address') ?? '',
  };
}

function inRange(text: string, limit: number): boolean {
  const value = text.trim();
  if (!DECIMAL.test(value)) return false;
  const n = Number(value);
  return Number.isFinite(n) && n >= -limit && n <= limit;
}

function placeTextOk(text: string): boolean {
  const value = text.trim();
  return charCount(value) <= PLACE_TEXT_MAX && !CONTROL.test(value);
}

export function mapPointProblems(draft: MapPointDraft): LinkProblem[] {
  const out: LinkProblem[] = [];
  if (!inRange(draft.lat, 90)) out.push('latitude');
  if (!inRange(draft.lng, 180)) out.push('longitude');
  if (!placeTextOk(draft.name)) out.push('placeName');
  if (!placeTextOk(draft.address)) out.push('placeAddress');
  return out;
}

// ---- another mini-program: miniprogram:<appid>[/<path>] ----

export function buildMiniProgram(draft: MiniProgramDraft): string {
  const path = draft.path.trim();
  return `miniprogram:${draft.appid.trim()}${path ? `/${path}` : ''}`;
}

export function parseMiniProgram(link: string): MiniProgramDraft | null {
  if (!link.startsWith('miniprogram:')) return null;
  const target = link.slice('miniprogram:'.length);
  const slash = target.indexOf('/');
  return slash < 0 ? { appid: target, path: '' } : { appid: target.slice(0, slash), path: target.slice(slash + 1) };
}

export function miniProgramProblems(draft: MiniProgramDraft): LinkProblem[] {
  const out: LinkProblem[] = [];
  if (!/^wx[0-9a-fA-F]{16}$/.test(draft.appid.trim())) out.push('appid');
  const path = draft.path.trim();
  if (charCount(path) > MINI_PROGRAM_PATH_MAX || WHITESPACE_OR_CONTROL.test(path)) out.push('miniProgramPath');
  return out;
}

/** Whether a phone, map or mini-program link passes the server's checks (other kinds: null). */
export function linkProblems(link: string): LinkProblem[] | null {
  const phone = parsePhone(link);
  if (phone) return phoneOk(phone.number) ? [] : ['phone'];
  const point = parseMapPoint(link);
  if (point) return mapPointProblems(point);
  const target = parseMiniProgram(link);
  if (target) return miniProgramProblems(target);
  return null;
}

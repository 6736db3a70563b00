/**
 * The tab bar and theme as the console edits them (`GET /api/v1/settings`), and how the
 * phone draws them: the app config built from them (page-templates/app/app.json.hbs) gives
 * the tab labels the theme's text colour, the selected one its primary colour, the page
 * the background colour and the navigation bar its colours.
 */
import type { Schemas } from '@/api';

export interface TabItem {
  page_id: string;
  label: string;
  icon_asset_id: string;
  selected_icon_asset_id: string;
}

export interface Theme {
  primary_color: string;
  background_color: string;
  text_color: string;
  navigation_bar: { background_color: string; text_style: 'black' | 'white'; title?: string };
}

/** The built-in icons every tenant has (a grey and a highlighted one). */
export const PLACEHOLDER_ICON = 'sys-placeholder-icon';
export const PLACEHOLDER_ICON_ACTIVE = 'sys-placeholder-icon-active';
export const MAX_TABS = 5;
export const MAX_LABEL = 8;

/** The server's default theme (services/settings.rs), used until settings load. */
export const DEFAULT_THEME: Theme = {
  primary_color: '#07C160',
  background_color: '#F7F7F7',
  text_color: '#333333',
  navigation_bar: { background_color: '#FFFFFF', text_style: 'black' },
};

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

export function tabItemsOf(settings: Pick<Schemas['SettingsView'], 'tab_bar'> | null): TabItem[] {
  const items = (settings?.tab_bar as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items.map((raw) => {
    const i = (raw ?? {}) as Record<string, unknown>;
    return {
      page_id: str(i.page_id),
      label: str(i.label),
      icon_asset_id: str(i.icon_asset_id, PLACEHOLDER_ICON),
      selected_icon_asset_id: str(i.selected_icon_asset_id, PLACEHOLDER_ICON_ACTIVE),
    };
  });
}

export function themeOf(settings: Pick<Schemas['SettingsView'], 'theme'> | null): Theme {
  const t = (settings?.theme ?? {}) as Record<string, unknown>;
  const bar = (t.navigation_bar ?? {}) as Record<string, unknown>;
  const theme: Theme = {
    primary_color: str(t.primary_color, DEFAULT_THEME.primary_color),
    background_color: str(t.background_color, DEFAULT_THEME.background_color),
    text_color: str(t.text_color, DEFAULT_THEME.text_color),
    navigation_bar: {
      background_color: str(bar.background_color, DEFAULT_THEME.navigation_bar.background_color),
      text_style: bar.text_style === 'white' ? 'white' : 'black',
    },
  };
  if (typeof bar.title === 'string') theme.navigation_bar.title = bar.title;
  return theme;
}

/** A new tab for a page, with the built-in icons (the merchant can change them). */
export function newTab(page: { id: string; title: string }): TabItem {
  return {
    page_id: page.id,
    label: page.title.slice(0, MAX_LABEL),
    icon_asset_id: PLACEHOLDER_ICON,
    selected_icon_asset_id: PLACEHOLDER_ICON_ACTIVE,
  };
}

/** Moves item `from` by `by` places (within bounds); returns a new list. */
export function moveTab(items: readonly TabItem[], from: number, by: -1 | 1): TabItem[] {
  const to = from + by;
  if (from < 0 || from >= items.length || to < 0 || to >= items.length) return [...items];
  const out = [...items];
  const [moved] = out.splice(from, 1);
  out.splice(to, 0, moved!);
  return out;
}

/** The tab bar as the preview's TabBarPreview reads it. */
export function tabBarForPreview(items: readonly TabItem[]): Record<string, unknown> {
  return { items: items.map((i) => ({ ...i })) };
}

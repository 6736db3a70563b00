// @vitest-environment node
// Every translation key the sources use exists in zh-CN and in English, both locales have
// the same keys with the same placeholders, and no key is left unused.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const LOCALES = join(SRC, 'i18n', 'locales');

/** `t('…')`, `$t('…')`, `i18n.global.t('…')` with a literal key. */
const KEY_CALL = /(?:\$t|(?<![\w$.])t|i18n\.global\.t)\(\s*(['"])([^'"]+)\1/g;
/** A translation call whose key is not a literal (it could not be checked here). */
const DYNAMIC_CALL = /(?:\$t|(?<![\w$.])t|i18n\.global\.t)\(\s*(?!['"])[^)\s]/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if ((name.endsWith('.vue') || name.endsWith('.ts')) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''))].sort();
}

const used = new Map<string, string[]>();
const dynamic: string[] = [];
for (const file of sourceFiles(SRC)) {
  const text = readFileSync(file, 'utf8');
  const where = relative(SRC, file);
  for (const m of text.matchAll(KEY_CALL)) {
    const key = m[2] ?? '';
    used.set(key, [...(used.get(key) ?? []), where]);
  }
  for (const m of text.matchAll(DYNAMIC_CALL)) dynamic.push(`${where}: ${m[0]}`);
}

/** A language's messages: the main file and the lazily merged ones of a route (`locales/<route>/<lang>.json`). */
function messagesOf(lang: string): Map<string, string> {
  const out = flatten(JSON.parse(readFileSync(join(LOCALES, `${lang}.json`), 'utf8')) as Tree);
  for (const name of readdirSync(LOCALES)) {
    const file = join(LOCALES, name, `${lang}.json`);
    if (!statSync(join(LOCALES, name)).isDirectory()) continue;
    for (const [k, v] of flatten(JSON.parse(readFileSync(file, 'utf8')) as Tree)) {
      if (out.has(k)) throw new Error(`${k} is in two message files`);
      out.set(k, v);
    }
  }
  return out;
}

const locales = {
  'zh-CN': messagesOf('zh-CN'),
  en: messagesOf('en'),
};

describe('translation keys', () => {
  it('finds the keys the sources use', () => {
    expect(used.size).toBeGreaterThan(100);
    expect(used.has('signin.title')).toBe(true);
  });

  it('uses literal keys only (so each one can be checked)', () => {
    expect(dynamic).toEqual([]);
  });

  for (const [lang, messages] of Object.entries(locales)) {
    it(`has every used key in ${lang}`, () => {
      const missing = [...used.keys()].filter((k) => !messages.has(k)).map((k) => `${k} (${used.get(k)?.join(', ')})`);
      expect(missing).toEqual([]);
    });

    it(`has no empty message in ${lang}`, () => {
      expect([...messages].filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([]);
    });
  }

  it('has the same keys in zh-CN and English', () => {
    const zh = [...locales['zh-CN'].keys()];
    const en = [...locales.en.keys()];
    expect(zh.filter((k) => !locales.en.has(k))).toEqual([]);
    expect(en.filter((k) => !locales['zh-CN'].has(k))).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    const differ = [...locales['zh-CN']]
      .filter(([k, zh]) => placeholders(zh).join() !== placeholders(locales.en.get(k) ?? '').join())
      .map(([k]) => k);
    expect(differ).toEqual([]);
  });

  it('has no unused key', () => {
    expect([...locales['zh-CN'].keys()].filter((k) => !used.has(k))).toEqual([]);
  });
});

/**
 * The golden fixtures in ../fixtures (written by the Rust side: `cargo run -- fixtures`):
 * rendered/page-*.json with outline/<same name>, rendered/app-*.json (one with a tab bar,
 * one without, found by content), rendered/suspended.json, rendered/ext.json.
 */
const fs = require('fs')
const path = require('path')

const REPO = path.resolve(__dirname, '../../..')
const DIR = path.join(REPO, 'fixtures')

function hasPages(dir) {
  try {
    return fs.readdirSync(path.join(dir, 'rendered')).some((f) => /^page-.+\.json$/.test(f))
  } catch (err) {
    return false
  }
}

if (!hasPages(DIR)) throw new Error(`no page fixtures in ${DIR}/rendered: run \`cargo run -- fixtures\``)

function read(kind, name) {
  return JSON.parse(fs.readFileSync(path.join(DIR, kind, name), 'utf8'))
}

function list(pattern) {
  return fs
    .readdirSync(path.join(DIR, 'rendered'))
    .filter((f) => pattern.test(f))
    .sort()
}

/** The first app config (app-*.json) whose tab_bar is set / null, whatever its name. */
function appWhere(pred, what) {
  const name = list(/^app-.+\.json$/).find((n) => pred(read('rendered', n)))
  if (!name) throw new Error(`no app-*.json fixture ${what} in ${DIR}/rendered`)
  return read('rendered', name)
}

module.exports = {
  appWithTabs: () => appWhere((a) => a.tab_bar && Array.isArray(a.tab_bar.items) && a.tab_bar.items.length >= 2, 'with a tab bar'),
  appWithoutTabs: () => appWhere((a) => a.tab_bar === null, 'without a tab bar'),
  DIR,
  REPO,
  pageNames: () => list(/^page-.+\.json$/),
  appNames: () => list(/^app-.+\.json$/),
  rendered: (name) => read('rendered', name),
  outline: (name) => read('outline', name),
  hasOutline: (name) => fs.existsSync(path.join(DIR, 'outline', name)),
}

#!/usr/bin/env node
/**
 * npm run package: writes ../target/miniprogram.zip — the mini-program source only, ready to
 * import into WeChat DevTools — and prints the main package's size, failing over WeChat's
 * 2 MB limit. The zip is byte-stable (sorted entries, fixed dates).
 */
const fs = require('fs')
const path = require('path')
const JSZip = require('jszip')

const ROOT = path.resolve(__dirname, '..')
const OUT = path.resolve(ROOT, '../target/miniprogram.zip')
const LIMIT = 2 * 1024 * 1024

/** What the package is made of: these top-level files and folders, nothing else. */
const TOP_FILES = ['app.js', 'app.json', 'app.wxss', 'project.config.json', 'sitemap.json', 'supported-types.json', 'config.js']
const TOP_DIRS = ['api', 'lib', 'pages', 'components', 'ui', 'custom-tab-bar']
/** File kinds a mini-program runs. */
const EXTENSIONS = new Set(['.js', '.json', '.wxml', '.wxss', '.wxs', '.png', '.jpg', '.jpeg', '.gif', '.svg'])
const FIXED_DATE = new Date(Date.UTC(2020, 0, 1))

/** The package's files, relative to ROOT with / separators, sorted. */
function collectFiles(root = ROOT) {
  const out = []
  for (const f of TOP_FILES) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`missing ${f}`)
    out.push(f)
  }
  const walk = (rel) => {
    for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (d.name.startsWith('.')) continue
      const child = `${rel}/${d.name}`
      if (d.isDirectory()) walk(child)
      else if (d.isFile() && EXTENSIONS.has(path.extname(d.name).toLowerCase())) out.push(child)
    }
  }
  for (const dir of TOP_DIRS) walk(dir)
  return out.sort()
}

/** Sums the files' bytes: the main package as WeChat counts it (there are no subpackages). */
function packageSize(files, root = ROOT) {
  return files.reduce((sum, f) => sum + fs.statSync(path.join(root, f)).size, 0)
}

/** The zip's bytes. */
async function buildZip(files, root = ROOT) {
  const zip = new JSZip()
  for (const f of files) {
    zip.file(f, fs.readFileSync(path.join(root, f)), { date: FIXED_DATE, createFolders: false })
  }
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 }, platform: 'UNIX' })
}

async function main() {
  const files = collectFiles()
  const size = packageSize(files)
  const zip = await buildZip(files)
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, zip)
  const kib = (n) => (n / 1024).toFixed(1)
  console.log(`${path.relative(process.cwd(), OUT) || OUT}: ${files.length} files, zip ${zip.length} bytes (${kib(zip.length)} KiB)`)
  console.log(`main package: ${size} bytes (${kib(size)} KiB) of ${LIMIT} bytes (${kib(LIMIT)} KiB) allowed`)
  if (size > LIMIT) {
    console.error(`the main package is over WeChat's 2 MB limit by ${size - LIMIT} bytes`)
    process.exit(1)
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}

module.exports = { collectFiles, packageSize, buildZip, LIMIT, OUT }

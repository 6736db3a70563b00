// @ts-check
/** The client of this run: the real wx and the ext config. Tests reset it between cases. */
const { createClient } = require('./client')
const { loadConfig } = require('../config')

/** @type {import('./client').Client | null} */
let client = null
/** @type {import('../config').Config | null} */
let config = null

/** @returns {import('../config').Config} */
function getConfig() {
  if (!config) config = loadConfig(wx)
  return config
}

/** @returns {import('./client').Client} */
function getClient() {
  if (!client) client = createClient({ wx, config: getConfig() })
  return client
}

/** Forgets the client and config (tests; a new ext in DevTools). */
function resetClient() {
  client = null
  config = null
}

module.exports = { getClient, getConfig, resetClient }

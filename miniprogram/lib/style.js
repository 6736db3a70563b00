// @ts-check
/** Inline-style helpers for the catalogue components (sizes in rpx, colours as #RRGGBB). */

/**
 * The colour if it is one (#RGB or #RRGGBB), else null: page JSON never reaches CSS raw.
 * @param {unknown} value
 * @returns {string | null}
 */
function colour(value) {
  return typeof value === 'string' && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value) ? value : null
}

/**
 * A whole number within [min, max] (rpx sizes, columns, milliseconds), else the fallback.
 * @param {unknown} value
 * @param {number} fallback
 * @param {number} [min]
 * @param {number} [max]
 * @returns {number}
 */
function clampInt(value, fallback, min = 0, max = 2000) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.round(value)))
}

/**
 * One of the allowed words, else the first.
 * @template {string} T
 * @param {unknown} value
 * @param {readonly T[]} allowed
 * @returns {T}
 */
function oneOf(value, allowed) {
  return /** @type {T} */ (allowed.indexOf(/** @type {T} */ (value)) >= 0 ? value : allowed[0])
}

/**
 * `{a: 'b', c: null}` → `a:b` (null, undefined and '' left out), in the given order.
 * @param {Array<[string, string | number | null | undefined]>} declarations
 * @returns {string}
 */
function css(declarations) {
  return declarations
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}:${v}`)
    .join(';')
}

module.exports = { colour, clampInt, oneOf, css }

// @ts-check
Component({
  properties: { block: { type: Object, value: {} } },
  data: { entries: /** @type {Array<{days: string, open: string, close: string}>} */ ([]), note: '' },
  observers: {
    /** @param {any} b */
    block(b) {
      /** @param {unknown} v */
      const str = (v) => (typeof v === 'string' ? v : '')
      const entries = Array.isArray(b.entries) ? b.entries : []
      this.setData({
        entries: entries.map((/** @type {any} */ e) => ({ days: str(e.days), open: str(e.open), close: str(e.close) })),
        note: str(b.note),
      })
    },
  },
})

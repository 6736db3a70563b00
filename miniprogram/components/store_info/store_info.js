// @ts-check
Component({
  properties: { block: { type: Object, value: {} } },
  data: {
    name: '',
    description: '',
    logo: /** @type {string | null} */ (null),
    address: '',
    phone: /** @type {string | null} */ (null),
    tags: /** @type {string[]} */ ([]),
  },
  observers: {
    /** @param {any} b */
    block(b) {
      /** @param {unknown} v */
      const str = (v) => (typeof v === 'string' ? v : '')
      this.setData({
        name: str(b.name),
        description: str(b.description),
        logo: typeof b.logo === 'string' && b.logo ? b.logo : null,
        address: str(b.address),
        phone: typeof b.phone === 'string' && b.phone ? b.phone : null,
        tags: Array.isArray(b.tags) ? b.tags.filter((/** @type {unknown} */ t) => typeof t === 'string' && t) : [],
      })
    },
  },
  methods: {
    onCall() {
      if (this.data.phone) wx.makePhoneCall({ phoneNumber: this.data.phone })
    },
  },
})

// @ts-check
/**
 * @param {any} location
 * @returns {{latitude: number, longitude: number} | null}
 */
function point(location) {
  if (!location || typeof location !== 'object') return null
  const { latitude, longitude } = location
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return null
  return { latitude, longitude }
}

Component({
  properties: { block: { type: Object, value: {} } },
  data: {
    name: '',
    phone: '',
    address: '',
    location: /** @type {{latitude: number, longitude: number} | null} */ (null),
    markers: /** @type {any[]} */ ([]),
  },
  observers: {
    /** @param {any} b */
    block(b) {
      /** @param {unknown} v */
      const str = (v) => (typeof v === 'string' ? v : '')
      const location = point(b.location)
      this.setData({
        name: str(b.name),
        phone: str(b.phone),
        address: str(b.address),
        location,
        markers: location ? [{ id: 1, latitude: location.latitude, longitude: location.longitude, width: 24, height: 34 }] : [],
      })
    },
  },
  methods: {
    onCall() {
      if (this.data.phone) wx.makePhoneCall({ phoneNumber: this.data.phone })
    },
    onNavigate() {
      const { location, name, address } = this.data
      if (!location) return
      /** @type {{latitude: number, longitude: number, scale: number, name?: string, address?: string}} */
      const opts = { latitude: location.latitude, longitude: location.longitude, scale: 16 }
      if (name) opts.name = name
      if (address) opts.address = address
      wx.openLocation(opts)
    },
  },
})

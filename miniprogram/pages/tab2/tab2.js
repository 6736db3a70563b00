// @ts-check
/** Fixed tab page 2: shows the slug of the merchant's tab 2 (custom-tab-bar draws the bar). */
const { pageBehavior } = require('../../lib/page-behavior')

Component({
  behaviors: [pageBehavior],
  data: { tabIndex: 2 },
})

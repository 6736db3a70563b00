// @ts-check
/** Any published page by slug: /pages/page/page?slug=<slug>[&preview=<token>]. */
const { pageBehavior } = require('../../lib/page-behavior')

Component({
  behaviors: [pageBehavior],
})

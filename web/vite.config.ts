import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import VueI18nPlugin from '@intlify/unplugin-vue-i18n/vite';

const localesDir = fileURLToPath(new URL('./src/i18n/locales/**', import.meta.url));

// The console is served by the weapp-builder binary under /console/ with a CSP that has no
// 'unsafe-eval': messages are precompiled (runtime-only vue-i18n), Vue templates are
// compiled at build time, and nothing is inlined into index.html.
export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    Components({
      // Element Plus components (and their CSS) are imported where they are used;
      // our own components are imported explicitly.
      dirs: [],
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
      dts: 'src/components.d.ts',
    }),
    VueI18nPlugin({
      include: [localesDir],
      runtimeOnly: true,
      compositionOnly: true,
      fullInstall: false,
      strictMessage: true,
      escapeHtml: true,
    }),
  ],
  resolve: {
    alias: [
      { find: '@', replacement: fileURLToPath(new URL('./src', import.meta.url)) },
      // vuedraggable's published UMD bundle requires Vue's CommonJS build (template compiler
      // included, `new Function` under the CSP) and a Function('return this') shim; its ES
      // source imports the runtime-only `vue` and `sortablejs` like everything else.
      { find: /^vuedraggable$/, replacement: 'vuedraggable/src/vuedraggable.js' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 500,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `weapp-builder serve` on :8080.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});

/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// Element Plus components and their styles are imported on demand (docs/web.md).
export default defineConfig({
  plugins: [
    vue(),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: 'src/auto-imports.d.ts' }),
    Components({ resolvers: [ElementPlusResolver()], dts: 'src/components.d.ts' }),
  ],
  resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
  // `npm run dev` talks to a gateway started by `make run`.
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
  // The manifest lets `make bench` weigh what each page loads (bench/web_app.py).
  build: { chunkSizeWarningLimit: 1200, manifest: true },
  // Element Plus's styles come with its components: Vite must handle them in tests too.
  test: { environment: 'happy-dom', include: ['tests/**/*.test.ts'], server: { deps: { inline: ['element-plus'] } } },
})

/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { pagePreloads } from './build/pagePreloads.ts'

/** Every text file of the build also as .br and .gz beside it: the gateway sends the
 * one the browser accepts (docs/web.md). On a phone over slow 4G the app's code is what
 * the first screen waits for, and it shrinks to about a third. */
function precompress(): Plugin {
  let outDir = 'dist'
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
  return {
    name: 'minyi-precompress',
    apply: 'build',
    configResolved(config) { outDir = config.build.outDir },
    closeBundle() {
      for (const path of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(path)) continue
        const body = readFileSync(path)
        if (body.length < 1024) continue
        writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }))
      }
    },
  }
}

// Element Plus components and their styles are imported on demand (docs/web.md).
export default defineConfig({
  plugins: [
    vue(),
    precompress(),
    pagePreloads(new URL('./src/router.ts', import.meta.url).pathname),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: 'src/auto-imports.d.ts' }),
    Components({ resolvers: [ElementPlusResolver()], dts: 'src/components.d.ts' }),
  ],
  resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
  // `npm run dev` talks to a gateway started by `make run`.
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
  // The manifest lets `make bench` weigh what each page loads (bench/web_app.py).
  build: {
    chunkSizeWarningLimit: 1200,
    manifest: true,
    // Vue and the Element Plus code most pages share come as two files, not some forty
    // small ones: over slow 4G with six connections each round of requests costs a round
    // trip, and a page's first screen waited on several rounds (docs/web.md).
    rolldownOptions: { output: { codeSplitting: { groups: [
      { name: 'framework', test: /node_modules[\\/](@vue|vue|vue-router|pinia|openapi-fetch)[\\/]/, priority: 3 },
      { name: 'element-plus', test: /node_modules[\\/](element-plus|@element-plus|lodash-es|lodash-unified|@floating-ui|@popperjs|dayjs|async-validator|memoize-one|normalize-wheel-es|@ctrl|escape-html)[\\/]/, minShareCount: 10, priority: 2 },
    ] } } },
  },
  // Element Plus's styles come with its components: Vite must handle them in tests too.
  test: { environment: 'happy-dom', include: ['tests/**/*.test.ts'], server: { deps: { inline: ['element-plus'] } } },
})

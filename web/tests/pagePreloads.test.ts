import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { RouteRecordRaw } from 'vue-router'
import { pageFiles, pageRoutes } from '../build/pagePreloads'
import { routes } from '@/router'

/** The router's own table, flattened as the app resolves it: whole path, the module
 * each component loads (read from the lazy import's text), public or not. */
function flattened(records: readonly RouteRecordRaw[], prefix = '', outer: string[] = []) {
  const found: { path: string; components: string[]; public: boolean }[] = []
  for (const record of records) {
    const path = record.path.startsWith('/') ? record.path : `${prefix.replace(/\/$/, '')}/${record.path}`
    const lazy = String(record.component ?? '')
    // Vitest has made `import('@/views/X.vue')` into `…import__("/src/views/X.vue")`.
    const module = /import_*\(["']([^"']+)["']\)/.exec(lazy)?.[1]?.replace(/^\/?(@\/|src\/)/, 'src/')
    const components = module ? [...outer, module] : outer
    if (record.children) found.push(...flattened(record.children, path, components))
    if (module) found.push({ path, components, public: !!record.meta?.public })
  }
  return found
}

describe("the table of each page's files", () => {
  it('reads every route of router.ts, children under their parent', () => {
    // Vitest runs in web/.
    const read = pageRoutes(readFileSync('src/router.ts', 'utf-8'))
    const sorted = <T extends { path: string }>(list: T[]) => [...list].sort((a, b) => a.path.localeCompare(b.path))
    expect(sorted(read)).toEqual(sorted(flattened(routes)))
    expect(read.find((r) => r.path === '/admin/users')?.components)
      .toEqual(['src/components/AdminLayout.vue', 'src/views/admin/UsersView.vue'])
    expect(read.filter((r) => r.public).map((r) => r.path)).toEqual(['/login'])
  })

  it("names a page's chunks and styles beyond what every page loads, its own chunk last", () => {
    const manifest = {
      'index.html': { file: 'assets/index.js', imports: ['_framework.js'], css: ['assets/index.css'] },
      '_framework.js': { file: 'assets/framework.js' },
      '_labels.js': { file: 'assets/labels.js', imports: ['_framework.js'] },
      '_tag.js': { file: 'assets/tag.js', imports: ['_labels.js'], css: ['assets/tag.css', 'assets/index.css'] },
      'src/views/A.vue': { file: 'assets/A.js', imports: ['_tag.js', '_framework.js'], css: ['assets/A.css'] },
      'src/components/Layout.vue': { file: 'assets/Layout.js', imports: ['_labels.js'] },
    }
    expect(pageFiles([
      { path: '/a', components: ['src/views/A.vue'], public: false },
      { path: '/admin/a', components: ['src/components/Layout.vue', 'src/views/A.vue'], public: true },
    ], manifest)).toEqual([
      { path: '/a', public: false, modules: ['assets/tag.js', 'assets/labels.js', 'assets/A.js'], styles: ['assets/tag.css', 'assets/A.css'] },
      { path: '/admin/a', public: true, modules: ['assets/labels.js', 'assets/tag.js', 'assets/Layout.js', 'assets/A.js'],
        styles: ['assets/tag.css', 'assets/A.css'] },
    ])
  })
})

/** Which built files each page needs, for the gateway to name in the page's HTML.
 *
 * Without it the browser learns a page's own code only after the app's code has arrived
 * and run (the router imports the page then): on a phone over slow 4G that is one more
 * round of requests, a few hundred milliseconds, before the first screen can be drawn.
 * The build writes `.vite/pages.json`: each route's path with the files of its page
 * components beyond what index.html already loads. The gateway puts them in the HTML it
 * answers for that path as `modulepreload` and `preload` links (gateway/webapp.py). */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import type { Plugin } from 'vite'

/** A route as router.ts declares it: its whole path, the modules of its components
 * (an outer layout first), and whether it is open without signing in. */
export interface PageRoute {
  path: string
  components: string[]
  public: boolean
}

/** What the gateway reads: a route's path and the files to name for it. */
export interface PageFiles {
  path: string
  public: boolean
  modules: string[]
  styles: string[]
}

type ManifestChunk = { file: string; imports?: string[]; css?: string[] }
type Manifest = Record<string, ManifestChunk>

const property = (node: ts.ObjectLiteralExpression, name: string) =>
  node.properties.find((p): p is ts.PropertyAssignment =>
    ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name)?.initializer

/** The module a lazy `component: () => import('…')` loads, as the manifest names it. */
function lazyModule(node: ts.Expression | undefined): string | null {
  if (!node || !ts.isArrowFunction(node) || !ts.isCallExpression(node.body)) return null
  const call = node.body
  if (call.expression.kind !== ts.SyntaxKind.ImportKeyword) return null
  const [specifier] = call.arguments
  if (!specifier || !ts.isStringLiteral(specifier)) return null
  return specifier.text.replace(/^@\//, 'src/')
}

/** The routes of router.ts's `routes` array, children flattened under their parents. */
export function pageRoutes(source: string): PageRoute[] {
  const file = ts.createSourceFile('router.ts', source, ts.ScriptTarget.Latest, true)
  const found: PageRoute[] = []
  const walk = (list: ts.ArrayLiteralExpression, prefix: string, outer: string[]) => {
    for (const element of list.elements) {
      if (!ts.isObjectLiteralExpression(element)) continue
      const path = property(element, 'path')
      if (!path || !ts.isStringLiteral(path)) continue
      const whole = path.text.startsWith('/') ? path.text : `${prefix.replace(/\/$/, '')}/${path.text}`
      const own = lazyModule(property(element, 'component'))
      const components = own ? [...outer, own] : outer
      const meta = property(element, 'meta')
      const open = !!meta && ts.isObjectLiteralExpression(meta) &&
        property(meta, 'public')?.kind === ts.SyntaxKind.TrueKeyword
      const children = property(element, 'children')
      if (children && ts.isArrayLiteralExpression(children)) walk(children, whole, components)
      if (own) found.push({ path: whole, components, public: open })
    }
  }
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'routes' &&
        node.initializer && ts.isArrayLiteralExpression(node.initializer)) {
      walk(node.initializer, '', [])
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

/** Each route's files: its components' chunks and what they import, with their styles,
 * leaving out what index.html loads for every page. */
export function pageFiles(routes: PageRoute[], manifest: Manifest): PageFiles[] {
  const reach = (keys: string[]) => {
    const seen = new Set<string>()
    const visit = (key: string) => {
      if (seen.has(key) || !manifest[key]) return
      seen.add(key)
      for (const next of manifest[key].imports ?? []) visit(next)
    }
    keys.forEach(visit)
    return seen
  }
  const everyPage = reach(['index.html'])
  const everyPageStyles = new Set([...everyPage].flatMap((key) => manifest[key].css ?? []))
  return routes.map((route) => {
    const own = [...reach(route.components)].filter((key) => !everyPage.has(key))
    // The page's own chunk last: the browser fetches in document order, and what it
    // imports is needed before it can run.
    own.sort((a, b) => Number(route.components.includes(a)) - Number(route.components.includes(b)))
    const styles = [...new Set(own.flatMap((key) => manifest[key].css ?? []))]
      .filter((file) => !everyPageStyles.has(file))
    return { path: route.path, public: route.public, modules: own.map((key) => manifest[key].file), styles }
  })
}

/** The Vite plugin: after the build has written its manifest, write `.vite/pages.json`. */
export function pagePreloads(routerFile: string): Plugin {
  let outDir = 'dist'
  return {
    name: 'minyi-page-preloads',
    apply: 'build',
    configResolved(config) { outDir = join(config.root, config.build.outDir) },
    writeBundle() {
      const manifest = JSON.parse(readFileSync(join(outDir, '.vite', 'manifest.json'), 'utf-8')) as Manifest
      const routes = pageRoutes(readFileSync(routerFile, 'utf-8'))
      for (const route of routes) {
        for (const component of route.components) {
          if (!manifest[component]) throw new Error(`the build has no chunk for ${component} (route ${route.path})`)
        }
      }
      writeFileSync(join(outDir, '.vite', 'pages.json'), JSON.stringify(pageFiles(routes, manifest), null, 1))
    },
  }
}

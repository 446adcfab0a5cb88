// The typed API client: paths and bodies come from the gateway's /openapi.json
// (web/openapi.json → src/api/schema.d.ts, `npm run gen:api`), never typed by hand.
import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type Report = Schemas['Report']
export type ReportInput = Schemas['ReportInput']
export type Me = Schemas['MeAnswer']
export type Notification = Schemas['Notification']
export type Unit = Schemas['UnitOutput']
export type PersonHit = Schemas['PersonHit']
export type Scores = Schemas['Scores']
export type QuotaRow = Schemas['QuotaRow']
export type Topic = Schemas['Topic']
export type Commission = Schemas['Commission']
export type Notice = Schemas['Notice']

/** A problem+json answer (docs/api.md), or a request that never got one (status 0). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail: string,
    public errors: Record<string, string[]> = {},
    /** The problem's stable code (docs/office.md), e.g. edited_concurrently. */
    public code = '',
  ) {
    super(detail || title)
  }
}

// Words people read when a request fails.
const STATUS_MESSAGES: Record<number, string> = {
  0: '网络连接失败，请检查网络后重试。您填写的内容已保留。',
  400: '请求格式有误，请刷新页面后重试。',
  401: '登录已过期，请重新登录。',
  403: '您没有权限进行此操作。',
  404: '没有找到该内容，或您无权查看。',
  409: '内容状态已发生变化（可能已被他人处理），请刷新后再试。',
  413: '内容过长，请删减后再提交。',
  422: '请按提示修改标注的内容。',
  429: '尝试次数过多，请稍后再试。',
  503: '服务暂时不可用，请稍后重试。您填写的内容已保留。',
}

// For these the server's own detail (Chinese, docs/office.md) says best what happened.
const DETAIL_SAYS_IT = new Set([403, 409, 429])

export function messageFor(error: unknown): string {
  if (error instanceof ApiError) {
    if (DETAIL_SAYS_IT.has(error.status) && /[\u4e00-\u9fff]/.test(error.detail)) {
      return error.detail.endsWith('。') ? error.detail : `${error.detail}。`
    }
    return STATUS_MESSAGES[error.status] ?? (error.status >= 500
      ? '服务器出现问题，请稍后重试。您填写的内容已保留。' : '操作未成功，请重试。')
  }
  return STATUS_MESSAGES[0]
}

/** Field → Chinese messages (nested lists are flattened to the field). */
export function fieldErrors(error: unknown): Record<string, string> {
  const found: Record<string, string> = {}
  if (!(error instanceof ApiError) || !error.errors) return found
  for (const [field, messages] of Object.entries(error.errors)) {
    const list = Array.isArray(messages) ? messages.flat(3) : Object.values(messages ?? {}).flat(3)
    found[field] = list.map(String).join('；')
  }
  return found
}

let onUnauthorized: () => void = () => {}
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler
}

const sessionGuard: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.includes('/auth/')) onUnauthorized()
    return undefined
  },
}

// The session cookie travels by itself (same origin); the header shows the gateway
// that a state change comes from this app, not from another site (docs/web.md).
export const api = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  // The app speaks Chinese whatever the browser's language (the API follows Accept-Language).
  headers: { 'X-Requested-With': 'minyi', 'Accept-Language': 'zh-CN' },
  // Looked up at each call, so that tests can stand in for the network.
  fetch: (request: Request) => globalThis.fetch(request),
})
api.use(sessionGuard)

interface Answer<T> {
  data?: T
  error?: unknown
  response: Response
}

/** The answer's data, or an ApiError carrying the problem's status and field errors. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>
  try {
    answer = await call
  } catch {
    throw new ApiError(0, 'network', 'the request did not reach the server')
  }
  if (answer.response.ok) return answer.data as T
  const problem = (answer.error ?? {}) as Partial<Schemas['Problem']> & { errors?: Record<string, string[]> }
  throw new ApiError(answer.response.status, problem.title ?? '', problem.detail ?? '',
    problem.errors ?? {}, problem.code ?? '')
}

export function newIdempotencyKey(): string {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

/** The API's paths that take a multipart upload (the field ``file``), typed by their answer. */
type UploadPaths = {
  [P in keyof paths]: paths[P] extends { post: { requestBody?: { content: { 'multipart/form-data': unknown } } } } ? P : never
}[keyof paths]
type UploadAnswer<P extends UploadPaths> = paths[P] extends {
  post: { responses: { 200: { content: { 'application/json': infer T } } } }
} ? T : paths[P] extends { post: { responses: { 201: { content: { 'application/json': infer T } } } } } ? T : never

/**
 * Send one file as multipart ``file`` (openapi-fetch sends JSON). XMLHttpRequest rather
 * than fetch: it reports upload progress, which a large file on a phone needs.
 * ``path`` is the API's path with its parameters filled in (``url``).
 */
export function upload<P extends UploadPaths>(path: P, url: string, file: File,
  onProgress?: (percent: number) => void): Promise<UploadAnswer<P>> {
  void path  // only for the answer's type
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', url)
    request.withCredentials = true
    request.setRequestHeader('X-Requested-With', 'minyi')
    request.setRequestHeader('Accept-Language', 'zh-CN')
    if (onProgress) {
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100))
      }
    }
    request.onerror = () => reject(new ApiError(0, 'network', 'the request did not reach the server'))
    request.onload = () => {
      let data: Record<string, unknown> = {}
      try {
        data = JSON.parse(request.responseText || '{}')
      } catch {
        // not JSON: the status says what happened
      }
      if (request.status >= 200 && request.status < 300) return resolve(data as UploadAnswer<P>)
      if (request.status === 401) onUnauthorized()
      reject(new ApiError(request.status, String(data.title ?? ''), String(data.detail ?? ''),
        (data.errors ?? {}) as Record<string, string[]>, String(data.code ?? '')))
    }
    const body = new FormData()
    body.append('file', file)
    request.send(body)
  })
}

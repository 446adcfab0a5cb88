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

/** A problem+json answer (SPEC §9), or a request that never got one (status 0). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail: string,
    public errors: Record<string, string[]> = {},
  ) {
    super(detail || title)
  }
}

// Words people read when a request fails; the server's own detail is for the log.
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

export function messageFor(error: unknown): string {
  if (error instanceof ApiError) {
    return STATUS_MESSAGES[error.status] ?? (error.status >= 500
      ? '服务器出现问题，请稍后重试。您填写的内容已保留。' : '操作未成功，请重试。')
  }
  return STATUS_MESSAGES[0]
}

// Field messages the server still gives in English (marshmallow's), in Chinese; a
// Chinese message passes through unchanged.
const FIELD_MESSAGES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Missing data for required field\.?$/, () => '此项为必填项'],
  [/^Length must be between (\d+) and (\d+)\.?$/, (m) => `长度应为${m[1]}至${m[2]}个字`],
  [/^Shorter than minimum length (\d+)\.?$/, (m) => `至少${m[1]}个字`],
  [/^Longer than maximum length (\d+)\.?$/, (m) => `不能超过${m[1]}个字`],
  [/^Must be one of/, () => '不是有效的选项'],
  [/^Not a valid/, () => '格式不正确'],
  [/^Field may not be null\.?$/, () => '此项不能为空'],
  [/^Unknown field\.?$/, () => '不认识的字段'],
]

export function fieldMessage(message: string): string {
  for (const [pattern, say] of FIELD_MESSAGES) {
    const match = pattern.exec(message)
    if (match) return say(match)
  }
  return message
}

/** Field → Chinese messages (nested lists are flattened to the field). */
export function fieldErrors(error: unknown): Record<string, string> {
  const found: Record<string, string> = {}
  if (!(error instanceof ApiError) || !error.errors) return found
  for (const [field, messages] of Object.entries(error.errors)) {
    const list = Array.isArray(messages) ? messages.flat(3) : Object.values(messages ?? {}).flat(3)
    found[field] = list.map((m) => fieldMessage(String(m))).join('；')
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
// that a state change comes from this app, not from another site (SPEC §11).
export const api = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  headers: { 'X-Requested-With': 'minyi' },
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
  throw new ApiError(answer.response.status, problem.title ?? '', problem.detail ?? '', problem.errors ?? {})
}

export function newIdempotencyKey(): string {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

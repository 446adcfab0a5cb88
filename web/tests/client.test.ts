import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, unwrap, ApiError, fieldErrors, messageFor } from '@/api/client'

afterEach(() => vi.unstubAllGlobals())

function answer(status: number, body: unknown, type = 'application/json') {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } })
}

describe('the API client', () => {
  it('sends the CSRF header and the cookie, and returns the data', async () => {
    const fetch = vi.fn(async () => answer(200, { user: null }))
    vi.stubGlobal('fetch', fetch)
    await expect(unwrap(api.GET('/api/v1/auth/session'))).resolves.toEqual({ user: null })
    const request = (fetch.mock.calls[0] as unknown[])[0] as Request
    expect(request.headers.get('X-Requested-With')).toBe('minyi')
    expect(request.headers.get('Accept-Language')).toBe('zh-CN')
    expect(request.credentials).toBe('same-origin')
  })

  it('turns problem+json into an ApiError with the field errors by field', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => answer(422, {
      type: 'about:blank', title: '填写有误', status: 422, code: 'invalid_fields',
      detail: '部分内容填写有误，请按提示修改',
      errors: { title: ['长度须在 5 至 60 字之间。'], category: ['须为以下之一：经济发展、乡村振兴。'] },
    }, 'application/problem+json')))
    const failure = await unwrap(api.POST('/api/v1/reports', { body: {} as never })).catch((e) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure.status).toBe(422)
    expect(fieldErrors(failure)).toEqual({
      title: '长度须在 5 至 60 字之间。', category: '须为以下之一：经济发展、乡村振兴。' })
    expect(messageFor(failure)).toContain('请按提示修改')
  })

  it('says a lost connection keeps the text', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const failure = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure.status).toBe(0)
    expect(messageFor(failure)).toContain('已保留')
  })

  it("says what the server said when someone else decided first", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => answer(409, {
      type: 'about:blank', title: '操作冲突', status: 409, code: 'edited_concurrently',
      detail: '另一位编辑刚刚处理了这篇信息，请刷新后再试',
    }, 'application/problem+json')))
    const failure = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(messageFor(failure)).toBe('另一位编辑刚刚处理了这篇信息，请刷新后再试。')
  })
})

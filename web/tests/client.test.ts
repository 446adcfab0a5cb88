import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, unwrap, ApiError, fieldErrors, messageFor, fieldMessage } from '@/api/client'

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
    expect(request.credentials).toBe('same-origin')
  })

  it('turns problem+json into an ApiError with field errors in Chinese', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => answer(422, {
      type: 'about:blank', title: 'Invalid fields', status: 422, detail: 'some fields are invalid',
      errors: { title: ['Length must be between 5 and 60.'], category: ['Must be one of: economy, rural.'] },
    }, 'application/problem+json')))
    const failure = await unwrap(api.POST('/api/v1/reports', { body: {} as never })).catch((e) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure.status).toBe(422)
    expect(fieldErrors(failure)).toEqual({ title: '长度应为5至60个字', category: '不是有效的选项' })
    expect(messageFor(failure)).toContain('请按提示修改')
  })

  it('says a lost connection keeps the text', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const failure = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure.status).toBe(0)
    expect(messageFor(failure)).toContain('已保留')
  })

  it('passes Chinese messages through unchanged', () => {
    expect(fieldMessage('标题应为5至60个字')).toBe('标题应为5至60个字')
    expect(fieldMessage('Missing data for required field.')).toBe('此项为必填项')
  })
})

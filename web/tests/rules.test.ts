import { describe, expect, it } from 'vitest'
import { checkDraft, emptyDraft, bodyLength } from '@/rules'

const good = () => ({
  ...emptyDraft(), title: '关于加强农村饮水安全保障的建议', category: 'rural',
  situation: '情'.repeat(40), analysis: '析'.repeat(30), suggestions: '议'.repeat(30),
})

describe('the content rules before sending', () => {
  it('lets a good report through', () => {
    expect(checkDraft(good())).toEqual({})
    expect(bodyLength(good())).toBe(100)
  })

  it('names the field of each broken rule', () => {
    expect(checkDraft({ ...good(), title: '短' }).title?.[0]).toContain('5至60')
    expect(checkDraft({ ...good(), title: '标'.repeat(61) }).title?.[0]).toContain('现为61')
    expect(checkDraft({ ...good(), title: '关于某某事情\n的建议' }).title).toContain('标题只能是一行')
    expect(checkDraft({ ...good(), category: '' }).category).toEqual(['请选择类别'])
    expect(checkDraft({ ...good(), analysis: '' }).analysis).toEqual(['请填写分析'])
    expect(checkDraft({ ...good(), situation: '情'.repeat(1501) }).situation?.[0]).toContain('1500')
    expect(checkDraft({ ...good(), suggestions: '议'.repeat(29) }).suggestions?.[0]).toContain('不少于100字')
    expect(checkDraft({ ...good(), situation: '情'.repeat(39) + '\u0007' }).situation?.[0]).toContain('控制字符')
    expect(checkDraft({ ...good(), co_author_ids: Array.from({ length: 11 }, (_, i) => String(i)) }).co_author_ids)
      .toBeTruthy()
  })

  it('counts characters, not UTF-16 units', () => {
    expect(bodyLength({ ...emptyDraft(), situation: '𠀀𠀀' })).toBe(2)
  })
})

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, unwrap, type Me, type Unit } from '@/api/client'
import { MAY } from '@/api/words'

// Who is signed in. The session itself is an HttpOnly cookie the page never sees.
export const useSession = defineStore('session', () => {
  const me = ref<Me | null>(null)
  const units = ref<Unit[]>([])
  const checked = ref(false)
  /** Whether this office signs in by SMS code (it sends SMS). */
  const smsLogin = ref(false)

  const roles = computed(() => me.value?.roles ?? [])
  const has = (...wanted: string[]) => wanted.some((r) => roles.value.includes(r))
  const isAuthor = computed(() => has(...MAY.write_reports))
  const isEditor = computed(() => has(...MAY.review))
  const isUnitAdmin = computed(() => has('unit_admin'))
  const myUnits = computed(() => units.value.filter((u) => me.value?.unit_ids?.includes(u.id ?? '')))

  let loading: Promise<Me | null> | null = null

  /** Who is signed in (null: nobody); one request however many callers ask at once. */
  function load(): Promise<Me | null> {
    loading ??= (async () => {
      try {
        const answer = await unwrap(api.GET('/api/v1/auth/session'))
        me.value = answer.user ?? null
        smsLogin.value = !!answer.sms_login
        // The units come with the answer (one round trip, not two, on a slow network).
        units.value = answer.units ?? []
        checked.value = true
        return me.value
      } finally {
        loading = null
      }
    })()
    return loading
  }

  async function loadUnits(): Promise<void> {
    const page = await unwrap(api.GET('/api/v1/units', { params: { query: { page_size: 200 } } }))
    units.value = page.items ?? []
  }

  async function login(username: string, password: string): Promise<void> {
    await unwrap(api.POST('/api/v1/auth/login', { body: { username, password, session: true } }))
    await load()
  }

  /** 短信验证码登录: the account whose mobile got ``code``. */
  async function loginByCode(phone: string, code: string): Promise<void> {
    await unwrap(api.POST('/api/v1/auth/login', { body: { phone, code, session: true } }))
    await load()
  }

  async function logout(): Promise<void> {
    try {
      await unwrap(api.POST('/api/v1/auth/logout'))
    } finally {
      me.value = null
    }
  }

  function unitName(id?: string | null): string {
    return units.value.find((u) => u.id === id)?.name ?? ''
  }

  return { me, units, checked, smsLogin, roles, has, isAuthor, isEditor, isUnitAdmin, myUnits,
    load, loadUnits, login, loginByCode, logout, unitName }
})

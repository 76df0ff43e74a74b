// Who is logged in, and what they may do.
import { reactive } from 'vue'
import { api, setToken, token } from './api'

export interface User {
  id: string
  tenant_id: string | null
  username: string
  display_name: string | null
  email: string | null
  role: string
  enabled: boolean
  password_change_required: boolean
  last_login_at: string | null
  created_at: string
}

interface Me {
  user: User
  via: string
  permissions: string[]
}

export const session = reactive({
  user: null as User | null,
  permissions: [] as string[],
  loaded: false,
})

export function can(permission: string): boolean {
  return session.permissions.includes(permission)
}

/** Reads the session behind the stored token; false when there is none (or it expired). */
export async function restore(): Promise<boolean> {
  if (session.loaded) return session.user !== null
  session.loaded = true
  if (!token()) return false
  try {
    const me = await api.get<Me>('/auth/me')
    session.user = me.user
    session.permissions = me.permissions
    return true
  } catch {
    setToken(null)
    return false
  }
}

export async function login(username: string, password: string, tenant?: string) {
  const r = await api.post<{ token: string; user: User; password_change_required: boolean }>(
    '/auth/login',
    { username, password, tenant: tenant || undefined },
  )
  setToken(r.token)
  session.loaded = false
  await restore()
  return r
}

export function logout() {
  setToken(null)
  session.user = null
  session.permissions = []
  session.loaded = true
}

// The marketplace as the console reads it (docs/marketplace.md): the catalogue and listing
// pages, developer accounts, submissions with their check reports, releases, signing keys
// and reviews; who may do what there, and where a user without a tenant starts.
import { ApiError, headers } from './api'
import { locale } from './i18n'
import { can, session } from './session'

/** A text in both languages, as the server sends it. */
export interface LocalText {
  en: string
  'zh-CN': string
}

/** The text in the current language (the other one when it is empty). */
export function localText(v: LocalText | null | undefined): string {
  if (!v) return ''
  return (locale.value === 'zh-CN' ? v['zh-CN'] || v.en : v.en || v['zh-CN']) ?? ''
}

export interface AppPermission {
  kind: string
  hosts?: string[]
}

/** One entry of the catalogue: an app, a model or an algorithm. */
export interface Listing {
  kind: 'app' | 'model' | 'algorithm'
  id: string
  name: LocalText
  description: LocalText
  publisher: string
  first_party: boolean
  industries: string[]
  domains: string[]
  version: string
  channel: 'stable' | 'beta' | null
  price: string
  tenants: number
  installations: number
  active_installations: number
  ratings: number
  rating: number
  released_at: string | null
}

export interface VersionInfo {
  version: string
  channel: 'stable' | 'beta'
  released_at: string
  changelog: string | null
  key_id: string
  size: number
}

export interface Review {
  app_id: string
  rating: number
  title: string | null
  body: string | null
  author: string
  version: string
  created_at: string
  updated_at: string
}

export interface SchemaProperty {
  type?: string
  default?: unknown
  title?: string
  minimum?: number
  maximum?: number
  enum?: unknown[]
}

export interface ListingPage {
  listing: Listing
  versions: VersionInfo[]
  readme: string | null
  icon: string | null
  screenshots: string[]
  permissions: AppPermission[]
  triggers: { kind: string; cron?: string; properties?: string[]; path?: string }[]
  config_schema: { properties?: Record<string, SchemaProperty> }
  held: boolean
  my_review: Review | null
}

export type DeveloperStatus = 'pending' | 'verified' | 'rejected' | 'suspended'

export interface Developer {
  id: string
  user_id: string
  name: string
  email: string
  organisation: string | null
  website: string | null
  first_party: boolean
  status: DeveloperStatus
  review_comment: string | null
  reviewed_by: string | null
  created_at: string
  updated_at: string
}

export type CheckOutcome = 'passed' | 'warning' | 'failed' | 'skipped'

export interface CheckResult {
  id: string
  title: LocalText
  outcome: CheckOutcome
  details: string[]
  took_ms: number
}

export interface CheckReport {
  passed: boolean
  checks: CheckResult[]
  took_ms: number
  finished_at: string
}

export type SubmissionStatus = 'checking' | 'check_failed' | 'in_review' | 'released' | 'rejected' | 'withdrawn'

export interface Submission {
  id: string
  developer_id: string
  developer: string
  app_id: string
  version: string
  channel: 'stable' | 'beta'
  digest: string
  size: number
  manifest: { name: LocalText; description: LocalText; permissions: AppPermission[] } | null
  changelog: string | null
  status: SubmissionStatus
  report: CheckReport | null
  review_comment: string | null
  reviewed_by: string | null
  created_at: string
  updated_at: string
}

export interface Release {
  app_id: string
  version: string
  channel: 'stable' | 'beta'
  developer_id: string
  developer: string
  submission_id: string
  digest: string
  key_id: string
  size: number
  manifest: { name: LocalText; description: LocalText }
  changelog: string | null
  released_at: string
}

export interface SigningKey {
  key_id: string
  algorithm: string
  public_key: string
  state: 'active' | 'retired' | 'revoked'
  created_at: string
  retired_at: string | null
}

/** Element Plus tag types for the states the marketplace shows. */
export const SUBMISSION_TAG: Record<SubmissionStatus, 'info' | 'success' | 'warning' | 'danger' | 'primary'> = {
  checking: 'info',
  check_failed: 'danger',
  in_review: 'warning',
  released: 'success',
  rejected: 'danger',
  withdrawn: 'info',
}
export const DEVELOPER_TAG: Record<DeveloperStatus, 'info' | 'success' | 'warning' | 'danger'> = {
  pending: 'warning',
  verified: 'success',
  rejected: 'danger',
  suspended: 'danger',
}
export const OUTCOME_TAG: Record<CheckOutcome, 'success' | 'warning' | 'danger' | 'info'> = {
  passed: 'success',
  warning: 'warning',
  failed: 'danger',
  skipped: 'info',
}

/**
 * The user's own permission an app permission needs before it can be granted
 * (docs/apps.md: the grant is a subset of what the installer may do); none for the rest.
 */
export const PERMISSION_NEEDS: Record<string, string> = {
  read_telemetry: 'telemetry:read',
  write_telemetry: 'telemetry:write',
  alarms: 'alarm:manage',
  commands: 'device:command',
}

/** Whether the logged-in user may grant an app `kind` (it may do it itself). */
export function mayGrant(kind: string): boolean {
  const need = PERMISSION_NEEDS[kind]
  return !need || can(need)
}

/** A user outside every tenant who is no platform administrator: a developer or a reviewer. */
export function isExternal(): boolean {
  const u = session.user
  return !!u && u.tenant_id === null && u.role !== 'platform_admin'
}

/** Whether the developer portal is for this user: developers, and tenant users who may open an account. */
export function mayDevelop(): boolean {
  const u = session.user
  if (!u) return false
  return u.role === 'developer' || u.tenant_id !== null
}

/** The page a user without a tenant starts on, when the overview is not for it. */
export function homeOf(): string | null {
  const u = session.user
  if (!u || !isExternal()) return null
  if (u.role === 'developer') return 'market-developer'
  if (can('market:review')) return 'market-review'
  return 'market'
}

/**
 * An object address for an image the API serves behind the session's token (an app's
 * icon or screenshot): `<img>` cannot send the token itself. The caller revokes it.
 */
export async function imageUrl(path: string): Promise<string> {
  const res = await fetch(`/api/v1${path}`, { headers: headers() })
  if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText)
  return URL.createObjectURL(await res.blob())
}

/** The API path of an app's listing file (`icon.svg`) or screenshot (`screenshots/a.png`). */
export function listingFile(appId: string, path: string): string {
  const id = encodeURIComponent(appId)
  if (path.startsWith('screenshots/')) return `/market/apps/${id}/screenshots/${encodeURIComponent(path.slice('screenshots/'.length))}`
  return `/market/apps/${id}/files/${encodeURIComponent(path)}`
}

/** A semantic version's parts, for ordering releases (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-', 2)
    return { nums: core.split('.').map((n) => Number(n) || 0), pre }
  }
  const x = parse(a)
  const y = parse(b)
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0)
    if (d !== 0) return d
  }
  if (x.pre === y.pre) return 0
  if (x.pre === undefined) return 1
  if (y.pre === undefined) return -1
  return x.pre < y.pre ? -1 : 1
}

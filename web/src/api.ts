// The management API client. The session cookie is HttpOnly: the page never
// sees it. The CSRF token comes from /c/login or /c/session and lives in
// memory only; every state-changing call sends it.

export interface Session {
  username: string
  sysadmin: boolean
  csrf_token: string
  expires_at?: string
  auth_disabled?: boolean
}

let current: Session | null = null
const listeners = new Set<(s: Session | null) => void>()

export function session(): Session | null {
  return current
}

export function setSession(s: Session | null) {
  current = s
  listeners.forEach((l) => l(s))
}

export function onSession(l: (s: Session | null) => void): () => void {
  listeners.add(l)
  return () => listeners.delete(l)
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message)
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let msg = res.statusText || `HTTP ${res.status}`
  try {
    const body = await res.json()
    if (body?.errors?.[0]?.message) msg = body.errors[0].message
  } catch {
    /* not JSON */
  }
  if (res.status === 429) {
    const ra = res.headers.get('Retry-After')
    if (ra && !/retry/i.test(msg)) msg += ` (retry in ${ra}s)`
  }
  return new ApiError(res.status, msg)
}

export interface Page<T> {
  items: T[]
  total: number
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && current?.csrf_token) headers['X-Harbor-CSRF-Token'] = current.csrf_token
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  if (!res.ok) {
    const err = await errorOf(res)
    if (res.status === 401 && current && !path.startsWith('/c/login')) setSession(null)
    throw err
  }
  return res
}

/** get returns the JSON body of GET /api/v2.0{path}. */
export async function get<T>(path: string): Promise<T> {
  const res = await call('GET', '/api/v2.0' + path)
  return (await res.json()) as T
}

/** list returns one page of a paginated list and the X-Total-Count. */
export async function list<T>(path: string, page: number, pageSize: number, q?: Record<string, string>): Promise<Page<T>> {
  const params = new URLSearchParams({ page: String(page), page_size: String(pageSize) })
  for (const [k, v] of Object.entries(q ?? {})) if (v !== '') params.set(k, v)
  const sep = path.includes('?') ? '&' : '?'
  const res = await call('GET', '/api/v2.0' + path + sep + params.toString())
  const items = ((await res.json()) ?? []) as T[]
  const total = Number(res.headers.get('X-Total-Count') ?? items.length)
  return { items, total }
}

/** send makes a state-changing call and returns the JSON body, if any. */
export async function send<T = unknown>(method: 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown): Promise<T | null> {
  const res = await call(method, '/api/v2.0' + path, body)
  const text = await res.text()
  return text ? (JSON.parse(text) as T) : null
}

export async function login(username: string, password: string): Promise<Session> {
  const res = await call('POST', '/c/login', { username, password })
  const s = (await res.json()) as Session
  setSession(s)
  return s
}

export async function logout(): Promise<void> {
  try {
    await call('POST', '/c/logout')
  } finally {
    setSession(null)
  }
}

/** restore asks the server whether the cookie still holds a session. */
export async function restore(): Promise<Session | null> {
  try {
    const res = await fetch('/c/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    const s = res.ok ? ((await res.json()) as Session) : null
    setSession(s)
    return s
  } catch {
    setSession(null)
    return null
  }
}

/** repoPath is the API path of a repository: the name without its project,
 *  double-encoded as Harbor's API expects. */
export function repoPath(project: string, repoName: string): string {
  const rest = repoName.startsWith(project + '/') ? repoName.slice(project.length + 1) : repoName
  return `/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(encodeURIComponent(rest))}`
}

export interface Project {
  project_id: number
  name: string
  owner_name: string
  creation_time: string
  update_time: string
  current_user_role_id: number
  repo_count: number
  metadata: Record<string, string>
}

export interface Repository {
  id: number
  project_id: number
  name: string
  artifact_count: number
  pull_count: number
  creation_time: string
  update_time: string
}

export interface Tag {
  name: string
  push_time: string
  pull_time: string
  immutable: boolean
}

export interface Platform {
  architecture: string
  os: string
  variant?: string
  'os.version'?: string
}

export interface Reference {
  child_id: number
  child_digest: string
  platform?: Platform
}

export interface Artifact {
  id: number
  type: string
  media_type: string
  manifest_media_type: string
  artifact_type: string
  repository_name: string
  digest: string
  size: number
  push_time: string
  pull_time: string
  pull_count: number
  extra_attrs: Record<string, any>
  annotations: Record<string, string> | null
  references: Reference[]
  tags: Tag[]
}

export interface Descriptor {
  media_type: string
  digest: string
  size: number
  annotations?: Record<string, string>
}

export interface Layers {
  config?: Descriptor
  layers: Descriptor[]
}

export interface HistoryEntry {
  created?: string
  created_by?: string
  author?: string
  comment?: string
  empty_layer?: boolean
}

export interface Member {
  id: number
  entity_name: string
  entity_type: string
  role_id: number
  role_name: string
}

export interface RobotPermission {
  kind: string
  namespace: string
  access: { resource: string; action: string }[]
}

export interface Robot {
  id: number
  name: string
  description: string
  level: string
  duration: number
  disable: boolean
  expires_at: number
  permissions: RobotPermission[]
  creation_time: string
}

export interface AuditLog {
  id: number
  username: string
  resource: string
  resource_type: string
  operation: string
  op_time: string
}

export interface SystemInfo {
  registry_url?: string
  harbor_version?: string
}

// Harbor's project roles.
export const roles: { id: number; name: string }[] = [
  { id: 1, name: 'Project admin' },
  { id: 4, name: 'Maintainer' },
  { id: 2, name: 'Developer' },
  { id: 3, name: 'Guest' },
  { id: 5, name: 'Limited guest' },
]

export function roleName(id: number): string {
  return roles.find((r) => r.id === id)?.name ?? '—'
}

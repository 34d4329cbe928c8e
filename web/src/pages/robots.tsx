import { useState } from 'preact/hooks'
import { list, send, type Project, type Robot } from '../api'
import { Code, CopyButton, ErrorBox, Loading, Pager, registryHost, Table, useAction, usePaged } from '../components'
import { relTime } from '../format'

const pageSize = 15

const actions = [
  { action: 'pull', label: 'Pull' },
  { action: 'push', label: 'Push' },
  { action: 'delete', label: 'Delete' },
  { action: 'list', label: 'List' },
  { action: 'read', label: 'Read' },
]

interface Created {
  name: string
  secret: string
}

function CreateRobot({ project, onCreated }: { project: Project; onCreated: (c: Created) => void }) {
  const [name, setName] = useState('')
  const [desc, setDesc] = useState('')
  const [days, setDays] = useState(-1)
  const [perms, setPerms] = useState<string[]>(['pull'])
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const toggle = (a: string, on: boolean) => setPerms(on ? [...perms, a] : perms.filter((p) => p !== a))
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const out = await send<Created>('POST', '/robots', {
        name,
        description: desc,
        level: 'project',
        duration: days,
        permissions: [{ kind: 'project', namespace: project.name, access: perms.map((action) => ({ resource: 'repository', action })) }],
      })
      setName('')
      setDesc('')
      if (out) onCreated(out)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-label="New robot account">
      <div class="grid">
        <label>
          Name
          <input name="robot_name" required pattern="[a-z0-9]+(?:[._\-][a-z0-9]+)*" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <input name="robot_description" value={desc} onInput={(e) => setDesc(e.currentTarget.value)} />
        </label>
        <label>
          Expires after
          <select name="robot_expiry" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <option value={-1}>never</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={90}>90 days</option>
            <option value={365}>a year</option>
          </select>
        </label>
      </div>
      <fieldset>
        <legend>Permissions on the repositories of {project.name}</legend>
        {actions.map((a) => (
          <label key={a.action} class="inline">
            <input type="checkbox" name={`perm_${a.action}`} checked={perms.includes(a.action)} onChange={(e) => toggle(a.action, e.currentTarget.checked)} />
            {a.label}
          </label>
        ))}
      </fieldset>
      <ErrorBox error={error} />
      <button type="submit" aria-busy={busy} disabled={busy || perms.length === 0}>
        Create robot account
      </button>
    </form>
  )
}

function Secret({ c, onClose }: { c: Created; onClose: () => void }) {
  return (
    <article class="secret" aria-live="polite" aria-label="New robot secret">
      <header>
        <strong>Robot account {c.name} created.</strong> Copy its secret now: it is shown only once.
      </header>
      <div class="cmd">
        <code data-testid="robot-secret">{c.secret}</code>
        <CopyButton text={c.secret} label="Copy secret" />
      </div>
      <p>Log in with it:</p>
      <Code text={`docker login ${registryHost()} -u '${c.name}'`} />
      <footer>
        <button type="button" class="secondary" onClick={onClose}>
          I have saved the secret
        </button>
      </footer>
    </article>
  )
}

function permText(r: Robot): string {
  const acts = new Set<string>()
  for (const p of r.permissions ?? []) for (const a of p.access) if (a.resource === 'repository') acts.add(a.action)
  return [...acts].join(', ') || '—'
}

export function Robots({ project }: { project: Project }) {
  const [created, setCreated] = useState<Created | null>(null)
  const [open, setOpen] = useState(false)
  const { page, setPage, res } = usePaged((page) => list<Robot>('/robots', page, pageSize, { q: `Level=project,ProjectID=${project.project_id}` }), [project.project_id])
  const { error, run } = useAction(res.reload)
  const remove = (r: Robot) => run(() => send('DELETE', `/robots/${r.id}`), `Delete robot account ${r.name}? Clients using its secret will be refused.`)
  return (
    <>
      {created && <Secret c={created} onClose={() => setCreated(null)} />}
      <div class="titlebar">
        <p class="muted">Robot accounts let CI systems pull and push without a person’s password.</p>
        <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? 'Cancel' : 'New robot account'}
        </button>
      </div>
      {open && (
        <CreateRobot
          project={project}
          onCreated={(c) => {
            setCreated(c)
            setOpen(false)
            res.reload()
          }}
        />
      )}
      <ErrorBox error={error || res.error} />
      {res.loading && !res.data && <Loading what="robot accounts" />}
      {res.data && res.data.total === 0 && <p>No robot accounts in {project.name}.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <Table cols={[{ label: 'Name' }, { label: 'Permissions' }, { label: 'Expires' }, { label: 'Created' }, { label: 'Actions', hidden: true }]}>
            {res.data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.name}
                  {r.description && <div class="muted small">{r.description}</div>}
                  {r.disable && <mark>disabled</mark>}
                </td>
                <td>{permText(r)}</td>
                <td>{r.expires_at > 0 ? relTime(new Date(r.expires_at * 1000).toISOString()) : 'never'}</td>
                <td title={r.creation_time}>{relTime(r.creation_time)}</td>
                <td class="actions">
                  <button type="button" class="secondary outline compact" onClick={() => remove(r)} aria-label={`Delete ${r.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </Table>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </>
  )
}

import { useState } from 'preact/hooks'
import { list, roleName, roles, send, type Member, type Project } from '../api'
import { ErrorBox, Loading, Pager, Table, useAction, usePaged } from '../components'

const pageSize = 15

function AddMember({ project, onDone }: { project: Project; onDone: () => void }) {
  const [username, setUsername] = useState('')
  const [role, setRole] = useState(2)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await send('POST', `/projects/${encodeURIComponent(project.name)}/members`, { role_id: role, member_user: { username } })
      setUsername('')
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-label="Add member">
      <fieldset role="group">
        <input name="member_username" placeholder="Username" aria-label="Username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <select name="member_role" aria-label="Role" value={role} onChange={(e) => setRole(Number(e.currentTarget.value))}>
          {roles.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
        <button type="submit" aria-busy={busy} disabled={busy}>
          Add member
        </button>
      </fieldset>
      <ErrorBox error={error} />
    </form>
  )
}

export function Members({ project }: { project: Project }) {
  const base = `/projects/${encodeURIComponent(project.name)}/members`
  const { page, setPage, res } = usePaged((page) => list<Member>(base, page, pageSize), [project.name])
  const { error, run } = useAction(res.reload)
  const change = (m: Member, role: number) => run(() => send('PUT', `${base}/${m.id}`, { role_id: role }))
  const remove = (m: Member) => run(() => send('DELETE', `${base}/${m.id}`), `Remove ${m.entity_name} from ${project.name}?`)
  return (
    <>
      <AddMember project={project} onDone={res.reload} />
      <ErrorBox error={error || res.error} />
      {res.loading && !res.data && <Loading what="members" />}
      {res.data && (
        <>
          <Table cols={[{ label: 'Member' }, { label: 'Type' }, { label: 'Role' }, { label: 'Actions', hidden: true }]}>
            {res.data.items.map((m) => (
              <tr key={m.id}>
                <td>{m.entity_name}</td>
                <td>{m.entity_type === 'u' ? 'user' : m.entity_type}</td>
                <td>
                  <select class="compact" aria-label={`Role of ${m.entity_name}`} value={m.role_id} onChange={(e) => change(m, Number(e.currentTarget.value))}>
                    {roles.map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.name}
                      </option>
                    ))}
                  </select>
                </td>
                <td class="actions">
                  <button type="button" class="secondary outline compact" onClick={() => remove(m)} aria-label={`Remove ${m.entity_name}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </Table>
          {res.data.total === 0 && <p>No members. Add users above to give them a role in {project.name}.</p>}
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
          <p class="muted small">Roles: {roles.map((r) => roleName(r.id)).join(', ')}.</p>
        </>
      )}
    </>
  )
}

import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { list, roleName, send, type Project } from '../api'
import { Code, Empty, ErrorBox, Loading, Pager, registryHost, SearchBox, Table, usePaged } from '../components'
import { relTime } from '../format'

const pageSize = 15

function CreateProject({ onDone }: { onDone: (name: string) => void }) {
  const [name, setName] = useState('')
  const [pub, setPub] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await send('POST', '/projects', { project_name: name, metadata: { public: String(pub) } })
      onDone(name)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-label="New project">
      <fieldset role="group">
        <input
          name="project_name"
          placeholder="Project name (lower case, e.g. team)"
          aria-label="Project name"
          required
          pattern="[a-z0-9]+(?:[._\-][a-z0-9]+)*"
          title="Lower-case letters, digits and . _ - between them"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create
        </button>
      </fieldset>
      <label>
        <input type="checkbox" role="switch" name="public" checked={pub} onChange={(e) => setPub(e.currentTarget.checked)} />
        Public: anyone may pull without logging in
      </label>
      <ErrorBox error={error} />
    </form>
  )
}

export function Projects(_: { path?: string }) {
  const loc = useLocation()
  const [creating, setCreating] = useState(false)
  const { page, setPage, search, setSearch, q, res } = usePaged((page, q) => list<Project>('/projects', page, pageSize, q ? { q: `name=~${q}` } : {}), [])
  return (
    <section>
      <div class="titlebar">
        <h1>Projects</h1>
        <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          {creating ? 'Cancel' : 'New project'}
        </button>
      </div>
      {creating && <CreateProject onDone={(name) => loc.route(`/projects/${encodeURIComponent(name)}`)} />}
      <SearchBox label="Search projects by name" value={search} onChange={setSearch} />
      <ErrorBox error={res.error} />
      {res.loading && !res.data && <Loading what="projects" />}
      {res.data && res.data.total === 0 && !q && (
        <Empty>
          <h2>No projects yet</h2>
          <p>Create a project, then push an image to it:</p>
          <Code text={`docker login ${registryHost()}`} />
          <Code text={`docker tag alpine:3 ${registryHost()}/PROJECT/alpine:3`} />
          <Code text={`docker push ${registryHost()}/PROJECT/alpine:3`} />
        </Empty>
      )}
      {res.data && res.data.total === 0 && q && <p>No project matches “{q}”.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <Table cols={[{ label: 'Name' }, { label: 'Access' }, { label: 'Your role' }, { label: 'Repositories', num: true }, { label: 'Created' }]}>
            {res.data.items.map((p) => (
              <tr key={p.project_id}>
                <td>
                  <a href={`/projects/${encodeURIComponent(p.name)}`}>{p.name}</a>
                </td>
                <td>{p.metadata?.public === 'true' ? <mark class="pub">public</mark> : 'private'}</td>
                <td>{p.current_user_role_id ? roleName(p.current_user_role_id) : '—'}</td>
                <td class="num">{p.repo_count}</td>
                <td title={p.creation_time}>{relTime(p.creation_time)}</td>
              </tr>
            ))}
          </Table>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </section>
  )
}

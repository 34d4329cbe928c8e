import { useState } from 'preact/hooks'
import { list, type AuditLog, type Project } from '../api'
import { ErrorBox, Loading, Pager, useLoad } from '../components'
import { absTime, relTime } from '../format'

const pageSize = 20

export function Logs({ project }: { project: Project }) {
  const [page, setPage] = useState(1)
  const res = useLoad(() => list<AuditLog>(`/projects/${encodeURIComponent(project.name)}/logs`, page, pageSize), [project.name, page])
  return (
    <>
      <ErrorBox error={res.error} />
      {res.loading && !res.data && <Loading what="audit log" />}
      {res.data && res.data.total === 0 && <p>Nothing has happened in {project.name} yet.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <div class="overflow-auto">
            <table class="striped" aria-label="Audit log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Resource</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((l) => (
                  <tr key={l.id}>
                    <td title={absTime(l.op_time)}>{relTime(l.op_time)}</td>
                    <td>{l.username || 'anonymous'}</td>
                    <td>{l.operation}</td>
                    <td class="mono wrap">
                      <span class="muted">{l.resource_type}</span> {l.resource}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </>
  )
}

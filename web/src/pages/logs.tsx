import { list, type AuditLog, type Project } from '../api'
import { ErrorBox, Loading, Pager, Table, usePaged } from '../components'
import { absTime, relTime } from '../format'

const pageSize = 20

export function Logs({ project }: { project: Project }) {
  const { page, setPage, res } = usePaged((page) => list<AuditLog>(`/projects/${encodeURIComponent(project.name)}/logs`, page, pageSize), [project.name])
  return (
    <>
      <ErrorBox error={res.error} />
      {res.loading && !res.data && <Loading what="audit log" />}
      {res.data && res.data.total === 0 && <p>Nothing has happened in {project.name} yet.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <Table label="Audit log" cols={[{ label: 'When' }, { label: 'Who' }, { label: 'Operation' }, { label: 'Resource' }]}>
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
          </Table>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </>
  )
}

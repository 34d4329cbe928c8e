// The web/ sources whose hash is recorded in the build (dist/source.sha256);
// internal/ui's TestDistFresh hashes the same files the same way.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, sep } from 'node:path'

const roots = ['index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.ts', 'public', 'src']

function walk(dir, base, out) {
  const st = statSync(join(base, dir))
  if (st.isFile()) {
    out.push(dir)
    return
  }
  for (const e of readdirSync(join(base, dir))) walk(join(dir, e), base, out)
}

// sourceHash: sha256 over "path NUL sha256(content) LF" for each file,
// sorted by path (forward slashes).
export function sourceHash(webDir) {
  const files = []
  for (const r of roots) walk(r, webDir, files)
  const rel = files.map((f) => f.split(sep).join('/')).sort()
  const h = createHash('sha256')
  for (const f of rel) {
    const fh = createHash('sha256').update(readFileSync(join(webDir, f))).digest('hex')
    h.update(`${f}\0${fh}\n`)
  }
  return h.digest('hex')
}



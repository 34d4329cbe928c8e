import { defineConfig } from 'vite'
import preact from '@preact/preset-vite'

// The build goes straight into the Go package that embeds it.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: '../internal/ui/dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inline nothing: the Content-Security-Policy allows only files from
    // 'self' (data: images aside).
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a Berth on :5000.
    proxy: { '/api': 'http://127.0.0.1:5000', '/c': 'http://127.0.0.1:5000' },
  },
})

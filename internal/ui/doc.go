// Package ui serves Berth's web UI: the single-page app built from web/
// (Vite, Preact) and embedded from dist, with the SPA's client routes
// falling back to index.html, hashed assets cached for a year, and the
// browser-session endpoints /c/login, /c/logout and /c/session. Every
// response carries a Content-Security-Policy that forbids inline script.
//
// dist is generated: `npm ci && npm run build` in web/ rewrites it and
// records a hash of the sources it was built from (SourceHashFile); a test
// fails when dist is stale.
package ui

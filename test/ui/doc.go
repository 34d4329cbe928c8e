// Package ui holds the end-to-end test of the web UI: an in-process Berth,
// images pushed with go-containerregistry, and a playwright-core script
// (browser.mjs) driving Debian's headless Chromium through the pages a user
// clicks through every day. It skips when node, Chromium or web/node_modules
// are missing, unless BERTH_UI_REQUIRE=1 (as CI sets it).
package ui

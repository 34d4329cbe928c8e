// Package tags holds end-to-end tests of tag immutability rules and tag
// history against an in-process Berth over HTTP: every way of moving or
// deleting an immutable tag (/v2/ and the management API) is refused, and a
// moved and deleted tag is restored from its history.
package tags

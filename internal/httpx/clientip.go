package httpx

import (
	"net"
	"net/http"
)

// ClientIP returns the address the request came from: the host part of
// RemoteAddr. Forwarding headers are not trusted: a proxy in front of Berth
// is expected to be the only peer, and audit records what Berth can prove.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

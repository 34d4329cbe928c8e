package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/client"
)

func TestTokenStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) client.Time { return client.Time{Time: now.Add(d)} }
	tests := []struct {
		name string
		tk   client.Token
		want string
	}{
		{"active, never expires", client.Token{Active: true}, "active"},
		{"active, expires later", client.Token{Active: true, ExpiresAt: at(time.Hour)}, "active"},
		{"expired", client.Token{ExpiresAt: at(-time.Hour)}, "expired"},
		{"revoked", client.Token{RevokedTime: at(-time.Minute)}, "revoked"},
		{"revoked and expired", client.Token{RevokedTime: at(-2 * time.Hour), ExpiresAt: at(-time.Hour)}, "revoked"},
		{"inactive for another reason", client.Token{ExpiresAt: at(time.Hour)}, "inactive"},
	}
	for _, tt := range tests {
		if got := tokenStatus(tt.tk, now); got != tt.want {
			t.Errorf("%s: tokenStatus = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPrintTokenUse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		server, username, want string
	}{
		{"https://reg.example.com", "alice", "Use it as the password of alice, e.g. with the secret on standard input:\n" +
			"  docker login reg.example.com -u alice --password-stdin\n" +
			"  crane auth login reg.example.com -u alice --password-stdin\n" +
			"  oras login reg.example.com -u alice --password-stdin\n"},
		{"http://127.0.0.1:5000/berth", "", "Use it as the password of USERNAME, e.g. with the secret on standard input:\n" +
			"  docker login 127.0.0.1:5000 -u USERNAME --password-stdin\n" +
			"  crane auth login 127.0.0.1:5000 -u USERNAME --password-stdin\n" +
			"  oras login 127.0.0.1:5000 -u USERNAME --password-stdin\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printTokenUse(&b, tt.server, tt.username)
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("printTokenUse(%q, %q) (-want +got):\n%s", tt.server, tt.username, diff)
		}
	}
}

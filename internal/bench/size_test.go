package bench

import (
	"errors"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ByteSize
	}{
		{"0", 0},
		{"4096", 4096},
		{"12B", 12},
		{"1KiB", 1 << 10},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"2TiB", 2 << 40},
		{"512k", 512 << 10},
		{"8M", 8 << 20},
		{"1G", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"1KB", 1000},
		{"1MB", 1_000_000},
		{"1GB", 1_000_000_000},
		{" 64 MiB ", 64 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseByteSize(tt.in)
			if err != nil {
				t.Fatalf("ParseByteSize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseByteSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseByteSizeErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "GiB", "-1", "-1MiB", "abc", "1XB", "1e400", "99999999999TiB", "NaN"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if got, err := ParseByteSize(in); !errors.Is(err, ErrBadSize) {
				t.Errorf("ParseByteSize(%q) = %d, %v; want ErrBadSize", in, got, err)
			}
		})
	}
}

func TestByteSizeStringRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   ByteSize
		want string
	}{
		{1 << 30, "1GiB"}, {64 << 20, "64MiB"}, {1536 << 10, "1536KiB"}, {1000, "1000B"}, {0, "0B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		var b ByteSize
		if err := b.Set(tt.want); err != nil || b != tt.in {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.want, b, err, tt.in)
		}
	}
}

#!/usr/bin/env bash
# install-tools.sh installs the registry client CLIs that the end-to-end tests drive
# (crane, regctl, oras, helm, skopeo) at pinned versions.
#
# Go tools go into ${BERTH_TOOLS_DIR:-/root/.cache/berth-tools/bin}; each one is skipped when a
# binary built from the same pin is already there (a stamp file records the pin it was built
# from, and the binary must still answer its version command). skopeo comes from Debian.
# Run it as often as you like: with everything present it takes about a second.
#
# The module proxy on these machines is a partial mirror: `go install mod/cmd@vX` is tried
# first and, when refused, the tool is built in a throwaway module under /tmp (see
# shared/ECOSYSTEM.md). oras is always built from a copy of its module cache directory.
set -euo pipefail

BIN=${BERTH_TOOLS_DIR:-/root/.cache/berth-tools/bin}
STAMPS="$BIN/.pins"
mkdir -p "$BIN" "$STAMPS"

# Never let a tool's go.mod trigger a toolchain download; keep the machine's GOFLAGS.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOFLAGS="${GOFLAGS# }"

log() { printf 'install-tools: %s\n' "$*"; }

# tool NAME PIN VERSION_ARGS...: NAME is present at PIN if its stamp says so and it runs.
present() {
	local name=$1 pin=$2
	shift 2
	[[ -x "$BIN/$name" ]] || return 1
	[[ -f "$STAMPS/$name" && "$(cat "$STAMPS/$name")" == "$pin" ]] || return 1
	"$BIN/$name" "$@" >/dev/null 2>&1 || return 1
}

stamp() { printf '%s\n' "$2" >"$STAMPS/$1"; }

show_version() {
	local name=$1
	shift
	local out
	if ! out=$("$BIN/$name" "$@" 2>&1); then
		log "ERROR: $name $* failed: $out"
		return 1
	fi
	log "  $name: $(printf '%s' "$out" | tr -s ' \n\t' ' ' | cut -c1-160)"
}

# go_tool NAME MODULE PKG VERSION LDFLAGS VERSION_ARGS...
go_tool() {
	local name=$1 mod=$2 pkg=$3 ver=$4 ldflags=$5
	shift 5
	local pin="$pkg@$ver"
	if present "$name" "$pin" "$@"; then
		log "$name: present ($pin), skipped"
		return 0
	fi
	local start=$SECONDS
	log "$name: building $pin"
	rm -f "$STAMPS/$name"
	if GOBIN="$BIN" go install -ldflags="$ldflags" "$pin" 2>"/tmp/berth-install-$name.log"; then
		log "$name: go install $pin ok"
	else
		log "$name: go install refused or failed ($(tail -n1 "/tmp/berth-install-$name.log")); building in a throwaway module"
		local dir
		dir=$(mktemp -d /tmp/berth-tool-"$name".XXXXXX)
		(
			cd "$dir"
			go mod init berth-tools-"$name" >/dev/null 2>&1
			go get "$pkg@$ver"
			go build -ldflags="$ldflags" -o "$BIN/$name" "$pkg"
		)
		rm -rf "$dir"
	fi
	stamp "$name" "$pin"
	log "$name: built in $((SECONDS - start))s"
	show_version "$name" "$@"
}

# oras: `go install` is refused for it here; build ./cmd/oras from a copy of the module.
oras_tool() {
	local ver=v1.3.3
	local pin="oras.land/oras@$ver"
	if present oras "$pin" version; then
		log "oras: present ($pin), skipped"
		return 0
	fi
	local start=$SECONDS
	log "oras: building $pin from a copy of the module cache"
	rm -f "$STAMPS/oras"
	local src dir
	src=$(go mod download -json "$pin" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n "$src" && -d "$src" ]] || {
		log "ERROR: go mod download $pin gave no directory"
		return 1
	}
	dir=$(mktemp -d /tmp/berth-tool-oras.XXXXXX)
	cp -R "$src/." "$dir/"
	chmod -R u+w "$dir"
	(
		cd "$dir"
		go build -o "$BIN/oras" ./cmd/oras
	)
	rm -rf "$dir"
	stamp oras "$pin"
	log "oras: built in $((SECONDS - start))s"
	show_version oras version
}

skopeo_tool() {
	if dpkg-query -W -f='${Status}' skopeo 2>/dev/null | grep -q 'install ok installed'; then
		log "skopeo: present (Debian $(dpkg-query -W -f='${Version}' skopeo)), skipped"
		return 0
	fi
	local start=$SECONDS
	log "skopeo: apt-get update + install"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends skopeo >/dev/null
	log "skopeo: installed in $((SECONDS - start))s"
	log "  skopeo: $(skopeo --version)"
}

total=$SECONDS
go_tool crane github.com/google/go-containerregistry github.com/google/go-containerregistry/cmd/crane v0.22.1 "" version
go_tool regctl github.com/regclient/regclient github.com/regclient/regclient/cmd/regctl v0.11.7 \
	"-X github.com/regclient/regclient/internal/version.vcsTag=v0.11.7" version
oras_tool
go_tool helm helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm v4.3.1 \
	"-X helm.sh/helm/v4/internal/version.version=v4.3.1" version --short
skopeo_tool

log "done in $((SECONDS - total))s; tools in $BIN"
for t in crane regctl oras helm; do
	[[ -x "$BIN/$t" ]] || {
		log "ERROR: $t missing"
		exit 1
	}
done

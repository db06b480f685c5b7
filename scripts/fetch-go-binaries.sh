#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches real, stripped, third-party Go binaries from the npm registry
# (with `npm pack`, the only network the test machines have) for the Go
# binary inspection tests: one per Go release from 1.18 to 1.27. Each
# package is unpacked to DIR/<scope>-<name>-<version>/package/ (e.g.
# DIR/esbuild-linux-x64-0.28.2/package/bin/esbuild); a package already
# there is not fetched again. Binaries are never committed.
#
#   package                                       binary              Go
#   esbuild-linux-64@0.13.15                      bin/esbuild         1.17.2 (too old:
#                                                 for the "unsupported" message)
#   esbuild-linux-64@0.14.39                      bin/esbuild         1.18.1
#   @esbuild/linux-x64@0.15.18                    bin/esbuild         1.19.3
#   @esbuild/linux-x64@0.17.19                    bin/esbuild         1.20.4
#   @bufbuild/buf-linux-x64@1.28.1                bin/buf             1.21.4
#   @esbuild/linux-x64@0.23.1                     bin/esbuild         1.22.5
#   @esbuild/linux-x64@0.24.2                     bin/esbuild         1.23.1
#   @bufbuild/buf-linux-x64@1.55.1                bin/buf             1.24.4
#   @esbuild/linux-x64@0.27.7                     bin/esbuild         1.25.7 (no .go.buildinfo)
#   @esbuild/linux-x64@0.28.2                     bin/esbuild         1.26.5 (no .go.buildinfo)
#   @typescript/native-preview-linux-x64@7.0.0-dev.20260707.2  lib/tsgo  1.26.4
#   @bufbuild/buf-linux-x64@1.75.0                bin/buf             1.27.3
#
# Usage: scripts/fetch-go-binaries.sh DIR   (about 150 MB of downloads)
set -u
dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

packages=(
	esbuild-linux-64@0.13.15
	esbuild-linux-64@0.14.39
	@esbuild/linux-x64@0.15.18
	@esbuild/linux-x64@0.17.19
	@bufbuild/buf-linux-x64@1.28.1
	@esbuild/linux-x64@0.23.1
	@esbuild/linux-x64@0.24.2
	@bufbuild/buf-linux-x64@1.55.1
	@esbuild/linux-x64@0.27.7
	@esbuild/linux-x64@0.28.2
	@typescript/native-preview-linux-x64@7.0.0-dev.20260707.2
	@bufbuild/buf-linux-x64@1.75.0
)

failed=0
for spec in "${packages[@]}"; do
	# @scope/name@version -> scope-name-version
	name=${spec%@*}
	name=${name#@}
	version=${spec##*@}
	dest="$dir/${name//\//-}-$version"
	if [ -d "$dest/package" ]; then
		continue
	fi
	tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
	if (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>npm.log) &&
		tar xzf "$tmp"/*.tgz -C "$tmp"; then
		mkdir -p "$dest"
		mv "$tmp/package" "$dest/package"
		echo "fetched $spec"
	else
		echo "cannot fetch $spec: $(tail -1 "$tmp/npm.log" 2>/dev/null)" >&2
		failed=1
	fi
	rm -rf "$tmp"
done
exit $failed

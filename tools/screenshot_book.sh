#!/usr/bin/env bash
# Take headless Chromium screenshots of the rendered book's pages, to look at them.
#
#   tools/screenshot_book.sh [BOOK_DIR] [OUT_DIR] [PAGE ...]
#
# BOOK_DIR defaults to _book (at the project root, where `Rscript reports/render.R` and
# `quarto render` write the book), OUT_DIR to /tmp/book_screenshots, pages to the overview and the
# MFQ-2 chapter. A page is looked up in BOOK_DIR, then in BOOK_DIR/reports (where Quarto puts the
# chapters). Needs Debian's chromium (`tools/setup.sh --browser`); not run by CI.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
book_dir="$(realpath "${1:-$root/_book}")"
out_dir="${2:-/tmp/book_screenshots}"
shift $(( $# > 2 ? 2 : $# ))
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(index.html results-mfq2.html)
fi

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "error: chromium is not installed; run: apt-get install -y chromium" >&2
  exit 2
fi
if [ ! -f "$book_dir/index.html" ]; then
  echo "error: $book_dir/index.html does not exist; render the book first: Rscript reports/render.R" >&2
  exit 2
fi

mkdir -p "$out_dir"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

for page in "${pages[@]}"; do
  file="$book_dir/$page"
  if [ ! -f "$file" ] && [ -f "$book_dir/reports/$page" ]; then
    file="$book_dir/reports/$page"
  fi
  if [ ! -f "$file" ]; then
    echo "error: neither $book_dir/$page nor $book_dir/reports/$page exists" >&2
    exit 2
  fi
  shot="$out_dir/$(basename "${page%.html}").png"
  "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --user-data-dir="$profile" --hide-scrollbars --window-size="${WINDOW_SIZE:-1400,2400}" \
    --screenshot="$shot" "file://$file" >/dev/null 2>&1
  echo "$shot"
done

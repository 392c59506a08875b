"""Every declared dependency is used, and everything used is declared.

Python: the distributions of pyproject.toml (dependencies and every extra) against the top-level
modules that python/, tests/ and benchmarks/ import (read with `ast`: import statements, and
`find_spec` / `import_module` calls with a literal name). R: the packages tools/setup.sh installs
(R_LIBRARIES) against those the R code loads (`library()`, `require()`, `requireNamespace()` and
`pkg::`) in R/, reports/, tests/ and tools/.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from collect.paths import ROOT

# Distributions whose import name differs from the distribution name.
IMPORT_NAMES = {"pyyaml": "yaml", "llama-cpp-python": "llama_cpp"}
# Declared, used, but never imported: what uses them, and a file that shows it.
PYTHON_TOOLS = {"ruff": ("the linter of `make lint`", "Makefile")}
R_WITHOUT_LOADING = {
    # Quarto's knitr engine renders the book's .qmd chapters through rmarkdown.
    "rmarkdown": ("quarto render", "_quarto.yml"),
}
FIRST_PARTY = {"collect", "tests", "benchmarks"}
# R's own packages, part of every R installation.
BASE_R = {"base", "stats", "utils", "methods", "graphics", "grDevices", "tools", "parallel",
          "grid", "datasets", "compiler", "splines"}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared_python() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {requirement_name(r) for r in requirements} - {project["name"]}


def imported_python() -> set[str]:
    found: set[str] = set()
    for folder in ("python", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
                elif (isinstance(node, ast.Call) and node.args
                      and isinstance(node.args[0], ast.Constant)
                      and isinstance(node.args[0].value, str)
                      and getattr(node.func, "attr", getattr(node.func, "id", "")) in
                      ("find_spec", "import_module")):
                    found.add(node.args[0].value.split(".")[0])
    local = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}
    return found - set(sys.stdlib_module_names) - FIRST_PARTY - local - {"__future__"}


def test_python_dependencies_are_exactly_the_imported_ones() -> None:
    declared = declared_python()
    imports = {IMPORT_NAMES.get(name, name.replace("-", "_")): name for name in declared}
    used = imported_python()
    tools = {name for name, (_, witness) in PYTHON_TOOLS.items()
             if name in (ROOT / witness).read_text()}
    unused = sorted(imports[module] for module in set(imports) - used
                    if imports[module] not in tools)
    undeclared = sorted(used - set(imports))
    assert unused == [], f"declared in pyproject.toml but never imported: {unused}"
    assert undeclared == [], f"imported but not declared in pyproject.toml: {undeclared}"


def setup_array(name: str) -> list[str]:
    text = (ROOT / "tools" / "setup.sh").read_text()
    match = re.search(rf"^{name}=\(([^)]*)\)", text, re.MULTILINE)
    assert match, f"tools/setup.sh has no {name}=(...) array"
    return match.group(1).split()


def loaded_r() -> set[str]:
    pattern = re.compile(
        r"(?:library|require|requireNamespace)\(\s*['\"]?([A-Za-z][A-Za-z0-9.]*)"
        r"|\b([A-Za-z][A-Za-z0-9.]*):::?[A-Za-z.]"
    )
    found: set[str] = set()
    files = [ROOT / "index.qmd"]
    for folder in ("R", "reports", "tests", "tools"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".R", ".qmd", ".Rmd")]
    files += (ROOT / "tests").rglob("*.py")  # R code run from Python tests
    for path in files:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_r_libraries_are_exactly_the_loaded_ones() -> None:
    declared = set(setup_array("R_LIBRARIES"))
    without_loading = {name for name, (_, witness) in R_WITHOUT_LOADING.items()
                       if (ROOT / witness).exists()}
    used = loaded_r() - BASE_R
    unused = sorted(declared - used - without_loading)
    undeclared = sorted(used - declared)
    assert unused == [], f"tools/setup.sh installs R packages nothing loads: {unused}"
    assert undeclared == [], f"R packages loaded but not in R_LIBRARIES: {undeclared}"


def test_each_r_library_has_its_debian_package() -> None:
    debian = set(setup_array("R_PACKAGES"))
    missing = sorted(name for name in setup_array("R_LIBRARIES")
                     if f"r-cran-{name.lower()}" not in debian)
    assert missing == [], f"R_LIBRARIES without an r-cran-* package in R_PACKAGES: {missing}"

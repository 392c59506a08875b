"""Call the R analysis functions (R/analysis/) from Python and get pandas DataFrames back.

The same functions the entry script `R/analysis/run.R` uses: the paper's OLS models, the
mixed models and their contrasts. R errors (bad derived tables, for instance) come back as
`InputError` with R's message, which names the file, row and column.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from collect.errors import InputError
from collect.paths import ROOT

R_ANALYSIS = ROOT / "R" / "analysis"


@cache
def _r() -> Any:
    """Start R once, load the analysis functions, and return rpy2's `robjects`."""
    library_path = os.environ.get("LD_LIBRARY_PATH")
    from rpy2 import robjects
    from rpy2.robjects.packages import importr

    # Starting R puts R's library folders (and the system's) on LD_LIBRARY_PATH. This process
    # has its libraries loaded already; child processes would inherit the path and could load
    # the system's libpython instead of their own interpreter's.
    _restore("LD_LIBRARY_PATH", library_path)

    for package in ("dplyr", "lme4", "lmerTest", "emmeans"):
        importr(package)  # from R's own library paths (.libPaths())
    robjects.r["source"](str(R_ANALYSIS / "load.R"), chdir=True)
    robjects.r("options(moralign.cores = 1)")
    return robjects


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _to_pandas(value: Any) -> pd.DataFrame:
    from rpy2.robjects import default_converter, pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(default_converter + pandas2ri.converter):
        frame = _r().conversion.get_conversion().rpy2py(value)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected an R data frame, got {type(frame).__name__}")
    return frame.reset_index(drop=True)


def call(function: str, *args: Any) -> Any:
    """Call an R function of R/analysis by name; R errors become InputError."""
    from rpy2.rinterface_lib.embedded import RRuntimeError

    robjects = _r()
    try:
        return robjects.r[function](*args)
    except RRuntimeError as err:
        raise InputError(str(err).strip()) from None


def read_derived(derived_dir: Path, instrument: str, analysis: str) -> Any:
    """A derived table as an R data frame (validated against the contract)."""
    return call("read_derived", str(derived_dir), instrument, analysis)


def rq1_ols(derived_dir: Path, instrument: str = "mfq2") -> pd.DataFrame:
    """The paper's RQ1 model: cosine ~ chinese_participant * chinese_origin (OLS)."""
    data = call("rq1_data", read_derived(derived_dir, instrument, "rq1"))
    return _to_pandas(call("rq1_ols", data))


def welch_per_llm(derived_dir: Path, instrument: str = "mfq2") -> pd.DataFrame:
    """Per-LLM Welch t-tests of cosine, Chinese minus American respondents."""
    return _to_pandas(call("welch_per_llm", read_derived(derived_dir, instrument, "rq1")))


def rq2_ols(derived_dir: Path, instrument: str = "mfq2") -> pd.DataFrame:
    """The paper's RQ2 model on the congruence factors (OLS)."""
    data = call("rq2_data", read_derived(derived_dir, instrument, "rq2"))
    return _to_pandas(call("rq2_ols", data))


def rq3_ols(derived_dir: Path, instrument: str = "mfq2", analysis: str = "rq3") -> pd.DataFrame:
    """The paper's RQ3 model (leave-one-out), `analysis` "rq3" or "rq3_persona" (OLS)."""
    data = call("rq3_data", read_derived(derived_dir, instrument, analysis))
    return _to_pandas(call("rq3_ols", data, f"{analysis}_ols"))


def rq1_lmm(derived_dir: Path, instrument: str = "mfq2") -> dict[str, pd.DataFrame]:
    """RQ1 mixed model: coefficients, structure selection and diagnostics."""
    data = call("rq1_data", read_derived(derived_dir, instrument, "rq1"))
    selected = call("rq1_lmm", data)
    return {
        "coefficients": _to_pandas(call("tidy_lmm", selected.rx2("model"), "rq1_lmm")),
        "selection": _to_pandas(selected.rx2("selection")),
        "diagnostics": _to_pandas(call("lmm_diagnostics", selected, "rq1_lmm")),
    }


def simulated_rq1(n_china: int, n_usa: int, n_llms: int, seed: int = 1) -> pd.DataFrame:
    """A simulated rq1 table in the derived-table contract (for demonstrations and tests)."""
    return _to_pandas(call("simulate_rq1", n_china, n_usa, n_llms, seed))


def write_rds(frame: pd.DataFrame, path: Path) -> None:
    """Write a pandas DataFrame as an .rds file through R."""
    from rpy2.robjects import default_converter, pandas2ri
    from rpy2.robjects.conversion import localconverter

    path.parent.mkdir(parents=True, exist_ok=True)
    with localconverter(default_converter + pandas2ri.converter):
        r_frame = _r().conversion.get_conversion().py2rpy(frame)
    call("saveRDS", r_frame, str(path))

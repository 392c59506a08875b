from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from collect.data.sources import ChecksumError, SourceFile, fetch_all, load_sources, sha256_of
from collect.errors import MoralignError


@pytest.fixture(autouse=True)
def no_mirror_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI sets MORALIGN_DATA_MIRROR; these tests choose their source themselves."""
    monkeypatch.delenv("MORALIGN_DATA_MIRROR", raising=False)


def test_sources_pin_the_release_commit_and_the_fetched_files(release_mirror: Path) -> None:
    sources = load_sources()
    release = {s.local: s.sha256 for s in sources if s.dataset == "made_in_china"}
    assert len(release) == 7
    assert all(sha256_of(release_mirror / local) == pin for local, pin in release.items())
    for source in (s for s in sources if s.dataset == "made_in_china"):
        assert "92350cba5895e9932fda2d85dc9e245da14b40fc" in source.url
        assert source.url.endswith(source.path)


def test_fetch_from_mirror_verifies_and_is_idempotent(release_mirror: Path, tmp_path: Path) -> None:
    release = [s for s in load_sources() if s.dataset == "made_in_china"]
    first = fetch_all(mirror=release_mirror, external=tmp_path, sources=release)
    assert len(first) == 7 and all(fetched for _, fetched in first)
    for path, _ in first:
        source = next(s for s in load_sources() if path.as_posix().endswith(s.local))
        assert sha256_of(path) == source.sha256
    again = fetch_all(mirror=release_mirror, external=tmp_path, sources=release)
    assert not any(fetched for _, fetched in again)


def test_mirror_env_variable_is_used(
    release_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MORALIGN_DATA_MIRROR", str(release_mirror))
    release = [s for s in load_sources() if s.dataset == "made_in_china"]
    assert len(fetch_all(external=tmp_path, sources=release)) == 7


def test_missing_mirror_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MoralignError, match="does not exist"):
        fetch_all(mirror=tmp_path / "nowhere", external=tmp_path)


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/drop"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"partial")
            self.wfile.flush()
            self.connection.close()
            return
        super().do_GET()


@pytest.fixture()
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_download_over_http_checks_the_hash(http_root: tuple[str, Path], tmp_path: Path) -> None:
    base, root = http_root
    (root / "good.csv").write_bytes(b"a,b\n1,2\n")
    good = SourceFile(
        "demo", "good.csv", "good.csv", f"{base}/good.csv", sha256_of(root / "good.csv")
    )
    external = tmp_path / "external"
    [(path, fetched)] = fetch_all(external=external, sources=[good])
    assert fetched and path.read_bytes() == b"a,b\n1,2\n"


def test_hash_mismatch_names_file_and_hashes_and_keeps_nothing(
    http_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = http_root
    (root / "bad.csv").write_bytes(b"tampered\n")
    expected = "0" * 64
    bad = SourceFile("demo", "Data/bad.csv", "bad.csv", f"{base}/bad.csv", expected)
    external = tmp_path / "external"
    with pytest.raises(ChecksumError) as err:
        fetch_all(external=external, sources=[bad])
    message = str(err.value)
    assert "Data/bad.csv" in message and expected in message
    assert sha256_of(root / "bad.csv") in message
    assert _leftovers(external) == []


def test_dropped_download_leaves_no_half_written_file(
    http_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = http_root
    dropped = SourceFile("demo", "x.csv", "drop", f"{base}/drop", "0" * 64)
    external = tmp_path / "external"
    with pytest.raises(Exception):  # noqa: B017 - urllib raises IncompleteRead here
        fetch_all(external=external, sources=[dropped])
    assert _leftovers(external) == []


def test_a_bad_file_is_replaced_by_a_good_one(release_mirror: Path, tmp_path: Path) -> None:
    target = tmp_path / "made_in_china" / "Data" / "llm_info.csv"
    target.parent.mkdir(parents=True)
    target.write_text("not the release\n")
    release = [s for s in load_sources() if s.dataset == "made_in_china"]
    fetch_all(mirror=release_mirror, external=tmp_path, sources=release)
    assert sha256_of(target) == sha256_of(release_mirror / "Data" / "llm_info.csv")


def test_datasets_on_request_are_fetched_only_when_named(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    entry = 'url_pattern = "https://example.org/{{commit}}/{{path}}"\ncommit = "c"\n{extra}\n' \
        '[[datasets.{name}.files]]\nlocal = "{name}.csv"\npath = "{name}.csv"\nsha256 = "0"\n'
    sources.write_text("[datasets.data]\n" + entry.format(name="data", extra="")
                       + "[datasets.scripts]\n"
                       + entry.format(name="scripts", extra="on_request = true"))
    assert [s.dataset for s in load_sources(sources)] == ["data"]
    named = load_sources(sources, datasets=["scripts"])
    assert [(s.dataset, s.on_request) for s in named] == [("scripts", True)]
    with pytest.raises(MoralignError, match="no dataset nope; known: data, scripts"):
        load_sources(sources, datasets=["nope"])


def test_the_study_scripts_are_pinned_on_request_at_the_release_commit() -> None:
    assert "made_in_china_scripts" not in {s.dataset for s in load_sources()}
    scripts = load_sources(datasets=["made_in_china_scripts"])
    assert len(scripts) == 4 and all(s.on_request for s in scripts)
    assert all("92350cba5895e9932fda2d85dc9e245da14b40fc" in s.url for s in scripts)


def test_quartos_sources_are_a_tool_fetched_only_by_name_and_only_from_a_mirror() -> None:
    assert "quarto_cli" not in {s.dataset for s in load_sources()}
    [sources] = load_sources(datasets=["quarto_cli"])
    assert sources.on_request and sources.url == "" and sources.mirror_dir == "quarto_cli"
    assert sources.sha256 == "1d669f50e7f736fb5f50de690f7d3bb120e01dd6907412d3033bf54eaf926d3e"

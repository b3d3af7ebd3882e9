"""scripts/system-deps.sh, the one place that installs what `make test` and `make run` need, run against
fake machines: a PATH of stubs (apt-get records its arguments instead of installing) and an empty or
fake file tree for the packages it finds by file (PostgreSQL's initdb, the DejaVu font)."""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system-deps.sh"
EVERYTHING = ("chromium chromium-driver fonts-dejavu-core postgresql redis-server pgbouncer libpango-1.0-0 "
              "libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils nodejs npm")
PANGO = "usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0"  # WeasyPrint's libraries, found by file


def machine(tmp_path, commands=(), files=()):
    """A PATH holding only stubs of `commands` plus a recording apt-get, and a file tree with `files`."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "apt.log"
    for name in commands:
        (bin_ / name).write_text("#!/bin/sh\nexit 0\n")
    (bin_ / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    for path in (bin_ / name for name in (*commands, "apt-get")):
        path.chmod(0o755)
    tree = tmp_path / "root"
    for name in files:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("")
    env = {"PATH": str(bin_), "SYSTEM_DEPS_ROOT": str(tree)}
    return env, log


def run(env, *args, as_user=None):
    prefix = ["/usr/bin/setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"] if as_user else []
    return subprocess.run([*prefix, "/bin/bash", str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=10)


def test_dry_run_names_what_a_bare_machine_lacks(tmp_path):
    env, log = machine(tmp_path)
    done = run(env, "--dry-run")
    assert done.returncode == 0 and done.stdout.strip() == f"would install: {EVERYTHING}"
    assert not log.exists()


def test_only_chromium_missing(tmp_path):
    env, log = machine(tmp_path, commands=("chromedriver", "redis-server", "pdftotext", "node", "npm"),
                       files=("usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "usr/lib/postgresql/15/bin/initdb",
                              "usr/sbin/pgbouncer", PANGO))
    assert run(env, "--dry-run").stdout.strip() == "would install: chromium"


@pytest.mark.skipif(os.geteuid() != 0, reason="installing needs root; the non-root path is tested below")
def test_root_updates_once_and_installs_only_what_is_missing(tmp_path):
    env, log = machine(tmp_path, commands=("chromium", "chromedriver", "pdftotext", "node", "npm"),
                       files=("usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "usr/sbin/pgbouncer", PANGO))
    done = run(env)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["update -q", "install -y -q postgresql redis-server"]


def test_nothing_missing_is_silent(tmp_path):
    env, log = machine(tmp_path, commands=("chromium", "chromedriver", "redis-server", "pdftotext", "node", "npm"),
                       files=("usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "usr/lib/postgresql/16/bin/initdb",
                              "usr/sbin/pgbouncer", PANGO))
    done = run(env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not log.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_not_root_stops_at_once_with_the_command():
    with tempfile.TemporaryDirectory() as where:  # pytest's tmp_path is not readable by other users
        Path(where).chmod(0o755)
        env, log = machine(Path(where), commands=("chromedriver", "redis-server", "pdftotext", "node", "npm"))
        done = run(env, as_user=65534)
        assert done.returncode == 2
        assert "missing system packages: chromium fonts-dejavu-core postgresql pgbouncer libpango-1.0-0" in done.stderr
        assert f"sudo {SCRIPT}" in done.stderr
        assert not log.exists()

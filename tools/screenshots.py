"""Screenshots of report.html and log.html for a passing, a failing and a setup-error run.

Usage: python tools/screenshots.py [--outputdir results/screenshots] [--chromium PATH]

Runs TEST-01 (suites/01_basic_pipeline.robot) three times with robot.args: against the
correct embedded hub (with the failure-recovery suite, whose tasks are reclaimed), with the
hub fault ``lose-assignment`` (the test fails after its 30 s wait and the lifecycle chart
shows the stall), and with nothing listening at ``HUB_URL`` (a setup error). Each run's
output goes to ``<outputdir>/<run>/`` (its console in ``console.txt``); headless Chromium then
writes ``<outputdir>/<run>-report.png`` and ``<run>-log.png`` (the log opened at the test).
Exits 2 with a message when Chromium is not found.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = "suites/01_basic_pipeline.robot"
RECOVERY_SUITE = "suites/02_failure_recovery.robot"
# name -> extra robot options (and environment) of each run
RUNS: dict[str, tuple[list[str], dict[str, str]]] = {
    "pass": (["--parse-include", str(ROOT / RECOVERY_SUITE)], {}),
    "fail": (["--variable", "HUB_FAULTS:lose-assignment"], {}),
    # a placeholder token, so that the missing hub (not a missing token) is the error
    "setup-error": (
        ["--variable", "HUB_URL:http://127.0.0.1:9"],
        {"AGENTCOM_TOKEN": "placeholder-token-for-screenshots"},
    ),
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]
# the report fits one screen; the log is opened at the test, whose summary is long
WINDOWS = {"report": "1400,1600", "log": "1400,3200"}
SHOT_TIMEOUT = 120


def find_chromium(given: str | None = None) -> str | None:
    """The Chromium binary: ``given``, else chromium/chromium-browser/google-chrome on PATH."""
    if given:
        return given if Path(given).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_suite(outdir: Path, name: str) -> Path:
    """Run TEST-01 as run ``name`` into ``outdir/name``; returns that directory."""
    options, env = RUNS[name]
    target = outdir / name
    command = [
        sys.executable, "-m", "robot",
        "--argumentfile", str(ROOT / "robot.args"),
        "--outputdir", str(target),
        "--console", "verbose",  # the library's console lines show only with it
        *options,
        "--parse-include", str(ROOT / SUITE),
        str(ROOT / "suites"),
    ]  # fmt: skip
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "console.txt", "w", encoding="utf-8") as console:
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=console,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    return target


def screenshot(chromium: str, page: str, png: Path, window: str = "1400,2000") -> Path:
    """Headless Chromium's screenshot of ``page`` (a file URL) into ``png``."""
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="agentcom-chromium-") as profile:
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--window-size={window}",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            page,
        ]
        subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=SHOT_TIMEOUT,
            check=False,
        )
    return png


def shoot_run(chromium: str, outdir: Path, name: str) -> list[Path]:
    """Screenshots of one run's report.html and log.html (opened at its first test)."""
    run_dir = (outdir / name).resolve()
    pages = {
        "report": (run_dir / "report.html").as_uri(),
        "log": (run_dir / "log.html").as_uri() + "#s1-s1-t1",
    }
    return [
        screenshot(chromium, uri, outdir / f"{name}-{page}.png", WINDOWS[page])
        for page, uri in pages.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "screenshots")
    parser.add_argument("--chromium", default=None, help="path of the Chromium binary")
    args = parser.parse_args(argv)
    args.outputdir = args.outputdir.resolve()
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("Chromium not found (install Debian's chromium): no screenshots taken.")
        return 2
    shots = []
    for name in RUNS:
        run_suite(args.outputdir, name)
        shots += shoot_run(chromium, args.outputdir, name)
    for png in shots:
        size = png.stat().st_size if png.exists() else 0
        print(f"{png} ({size:,} bytes)" if size else f"{png}: NOT WRITTEN")
    return 0 if all(p.exists() and p.stat().st_size for p in shots) else 1


if __name__ == "__main__":
    sys.exit(main())

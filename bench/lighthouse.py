"""Lighthouse on the citizen pages: accessibility, performance and best practices on a simulated phone.

Lighthouse is not a project dependency: install it outside the project, then
point this script at it (Debian's Chromium does the rendering):

    npm install --prefix /tmp/lh lighthouse@12.2.3      # 13.x wants Node 22
    make /usr/share/fonts/truetype/wqy/wqy-microhei.ttc  # a CJK font, as every phone has
    .venv/bin/python bench/lighthouse.py [--runs 3] [--lighthouse /tmp/lh/node_modules/.bin/lighthouse]

Without a CJK font Chromium finds no font for the Chinese text and draws empty
boxes; on this machine that came with a few hundred milliseconds more of
unattributed main-thread work (long tasks, so Total Blocking Time) than with
one, a cost no real phone pays, so the script refuses to run without one.

The portal runs as in production (one gunicorn, DEBUG off, PostgreSQL,
whitenoise serving the collected, hashed and gzip-compressed static files).
Each page is audited `--runs` times with Lighthouse's mobile preset (Moto G
Power-sized screen, simulated slow 4G and 4x CPU slowdown); the run with the
median performance score is kept, trimmed, in bench/lighthouse/<page>.json,
and a Markdown table of the figures is printed for bench/RESULTS.md.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import GUNICORN, ROOT, bench_env, fixture_create, free_port, manage, wait_ready

OUT = Path(__file__).resolve().parent / "lighthouse"
CATEGORIES = ("accessibility", "performance", "best-practices")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
    "render-blocking-resources",
    "unused-css-rules",
    "uses-text-compression",
    "total-byte-weight",
)


def lighthouse(binary: str, url: str, out: Path, attempts: int = 3) -> dict:
    """One Lighthouse run; retried when Lighthouse itself fails (NO_NAVSTART on a loaded machine)."""
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    for attempt in range(attempts):
        try:
            _lighthouse_once(binary, url, out, env)
            break
        except subprocess.CalledProcessError:
            if attempt == attempts - 1:
                raise
    return json.loads(out.read_text())


def _lighthouse_once(binary: str, url: str, out: Path, env: dict) -> None:
    subprocess.run(
        [
            binary,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
        ],
        env=env,
        check=True,
        timeout=240,
    )


def trimmed(report: dict) -> dict:
    """Scores, the key metrics, and every audit that did not pass (with at most five items each)."""
    audits = report["audits"]
    failing = {}
    for key, audit in audits.items():
        if (
            audit.get("score") is None
            or audit["score"] >= 1
            or audit.get("scoreDisplayMode") in ("informative", "manual")
        ):
            continue
        items = (audit.get("details") or {}).get("items") or []
        failing[key] = {
            "title": audit["title"],
            "score": audit["score"],
            "displayValue": audit.get("displayValue"),
            "items": items[:5],
        }
    diagnostics = {
        key: [
            {k: v for k, v in item.items() if k in ("group", "groupLabel", "url", "duration", "startTime", "total")}
            for item in ((audits.get(key) or {}).get("details") or {}).get("items", [])[:8]
        ]
        for key in ("mainthread-work-breakdown", "long-tasks")
    }
    return {
        "lighthouseVersion": report["lighthouseVersion"],
        "requestedUrl": report["requestedUrl"],
        "fetchTime": report["fetchTime"],
        "userAgent": report["environment"]["hostUserAgent"],
        "formFactor": report["configSettings"]["formFactor"],
        "throttling": report["configSettings"]["throttling"],
        "scores": {k: v["score"] for k, v in report["categories"].items()},
        "metrics": {
            k: {"numericValue": audits[k].get("numericValue"), "displayValue": audits[k].get("displayValue")}
            for k in METRICS
            if k in audits
        },
        "not_passed": failing,
        # Where the main thread's time went (TBT on a shared machine swings with the other jobs' load).
        "diagnostics": diagnostics,
        "benchmarkIndex": report["environment"].get("benchmarkIndex"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 8))
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE", "/tmp/lh/node_modules/.bin/lighthouse"))
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yibang_lighthouse")
    parser.add_argument("--only", action="append", help="page name (home, form, receipt, progress, stats)")
    args = parser.parse_args()
    if not Path(args.lighthouse).exists():
        raise SystemExit(f"{args.lighthouse} is missing: npm install --prefix /tmp/lh lighthouse@12.2.3")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    if not fonts.strip():
        raise SystemExit("no CJK font: make /usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

    env = bench_env(args.database_url, {"STATIC_ROOT": str(ROOT / "var" / "lighthouse-static")})
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    _ticket, token, _category, _district = fixture_create()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    pages = {
        "home": "/",
        "form": "/help/new/",
        "receipt": f"/help/receipt/{token}/",
        "progress": f"/help/track/{token}/",
        "stats": "/stats/",
    }
    chosen = {k: v for k, v in pages.items() if not args.only or k in args.only}
    gunicorn = subprocess.Popen(
        [str(GUNICORN), "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    OUT.mkdir(exist_ok=True)
    rows = []
    try:
        wait_ready(port, gunicorn)
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in chosen.items():
                runs, loads = [], []
                for i in range(args.runs):
                    runs.append(lighthouse(args.lighthouse, base + path, Path(tmp) / f"{name}-{i}.json"))
                    loads.append(round(os.getloadavg()[0], 1))
                perf = [r["categories"]["performance"]["score"] for r in runs]
                kept = sorted(runs, key=lambda r: r["categories"]["performance"]["score"])[len(runs) // 2]
                report = trimmed(kept)
                report["performance_scores_of_all_runs"] = perf
                # The machine's 1-minute load average after each run (2 cores, shared with other jobs).
                report["load_average_after_each_run"] = loads
                report["cpu_count"] = os.cpu_count()
                (OUT / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
                m = report["metrics"]
                rows.append(
                    f"| {name} | {report['scores']['accessibility'] * 100:.0f} "
                    f"| {report['scores']['performance'] * 100:.0f} ({', '.join(f'{p * 100:.0f}' for p in perf)}) "
                    f"| {report['scores']['best-practices'] * 100:.0f} "
                    f"| {m['first-contentful-paint']['displayValue']} | {m['largest-contentful-paint']['displayValue']} "
                    f"| {m['total-blocking-time']['displayValue']} | {m['cumulative-layout-shift']['displayValue']} "
                    f"| {m['total-byte-weight']['numericValue'] / 1024:.0f} KiB | {', '.join(map(str, loads))} |"
                )
                print(rows[-1], flush=True)
                for key, audit in report["not_passed"].items():
                    print(f"    not passed: {key} ({audit['score']}) {audit['displayValue'] or ''}", flush=True)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=10)
    print(
        "\n| page | accessibility | performance (median; all runs) | best practices | FCP | LCP | TBT | CLS | bytes "
        "| load average after each run |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    print(f"\nmedian performance: {statistics.median(float(r.split('|')[3].split()[0]) for r in rows):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

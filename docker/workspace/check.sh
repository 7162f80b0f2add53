#!/usr/bin/env bash
# Checks the workspace image the way the runner runs it: non-root, read-only root, tmpfs /tmp, no
# capabilities, no-new-privileges, no network, a fresh named volume at /home/agent.
# Usage: docker/workspace/check.sh [IMAGE]   (default agent-platform/workspace:latest)
# Writes the Korean test charts to $CHECK_OUT (default /tmp/workspace-check). Exits non-zero on any
# failure; the last line reads "check: N passed, N failed".
set -euo pipefail

IMAGE=${1:-agent-platform/workspace:latest}
OUT=${CHECK_OUT:-/tmp/workspace-check}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { printf 'check.sh: error: %s\n' "$*" >&2; exit 1; }
command -v docker >/dev/null || die "no docker CLI on PATH (apt-get install docker.io)"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers; start dockerd first"
docker image inspect "$IMAGE" >/dev/null 2>&1 \
  || die "no image $IMAGE: build it with $here/build-offline.sh (or docker build $here)"

volume="agent-platform-check-$$"
docker volume create "$volume" >/dev/null
trap 'docker volume rm -f "$volume" >/dev/null 2>&1 || true' EXIT
run=(docker run --rm -i --user 1000:1000 --read-only --tmpfs /tmp --cap-drop ALL
  --security-opt no-new-privileges --network none -v "$volume:/home/agent" "$IMAGE")

mkdir -p "$OUT"
t0=$(date +%s.%N)
set +e
"${run[@]}" bash -s >"$OUT/check.log" 2>&1 <<'INNER'
pass=0
check() { # check NAME COMMAND...: runs COMMAND, reports ok / FAIL with its output
  local name=$1 out; shift
  if out=$("$@" 2>&1); then echo "ok   $name${out:+  ($(echo "$out" | tail -n1))}"
  else echo "FAIL $name: $(echo "$out" | tail -n5)"; fi
}
check "uid 1000, gid 1000, user agent" sh -c '[ "$(id -u):$(id -g)" = 1000:1000 ] && [ "$(id -un)" = agent ] && id'
check "HOME=/home/agent, working directory /home/agent" sh -c '[ "$HOME" = /home/agent ] && [ "$(pwd)" = /home/agent ] && echo "$HOME"'
check "PID 1 is tini" sh -c 'tr "\0" " " </proc/1/cmdline | grep -q "^/usr/bin/tini " && tr "\0" " " </proc/1/cmdline'
check "home volume writable, owned by agent" sh -c 'touch "$HOME/.check" && rm "$HOME/.check" && stat -c "%U %a" "$HOME"'
check "root filesystem read-only, /tmp writable" sh -c '! touch /usr/local/x 2>/dev/null && touch /tmp/x && echo ok'
check "no capabilities" sh -c 'grep -q "^CapEff:[[:space:]]*0000000000000000$" /proc/self/status && grep ^CapEff /proc/self/status'
check "git" git --version
check "curl" sh -c 'curl --version | head -n1'
check "ripgrep" sh -c 'rg --version | head -n1'
check "python3" python3 --version
check "pip" python3 -m pip --version
check "no PEP 668 marker (pip falls back to ~/.local)" python3 -c 'import os, sysconfig; p = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"); assert not os.path.exists(p), p; print("absent")'
check "python3 -m venv (with pip)" sh -c 'python3 -m venv "$HOME/.check-venv" && "$HOME/.check-venv/bin/python" -m pip --version && rm -rf "$HOME/.check-venv"'
check "jupyter command and python3 kernel" sh -c 'jupyter --version >/dev/null && jupyter kernelspec list | grep -q python3 && jupyter nbconvert --version'
check "locale C.UTF-8" python3 -c 'import sys, locale; assert sys.getfilesystemencoding() == "utf-8" and locale.getpreferredencoding() == "UTF-8"; print("한글 ok")'

python3 - <<'PY'
import importlib, io, os, time, warnings, logging
results = []
def check(name, fn):
    try:
        detail = fn()
        print(f"ok   {name}" + (f"  ({detail})" if detail else ""))
    except BaseException as e:  # noqa: BLE001 - report every failure the same way
        print(f"FAIL {name}: {type(e).__name__}: {e}")

def imports():
    names = ["pandas", "numpy", "requests", "bs4", "matplotlib", "seaborn", "sklearn", "openpyxl",
             "plotly", "scipy", "lxml", "jupyter_core", "jupyter_client", "nbformat", "nbconvert",
             "ipykernel", "notebook"]
    t = time.time()
    versions = {n: getattr(importlib.import_module(n), "__version__", "?") for n in names}
    return f"{time.time() - t:.1f} s; " + ", ".join(f"{n} {v}" for n, v in versions.items())
check("python imports the data packages", imports)

def data_roundtrip():
    import pandas as pd, numpy as np
    from sklearn.linear_model import LinearRegression
    from bs4 import BeautifulSoup
    import plotly.express as px
    df = pd.DataFrame({"월": ["1월", "2월", "3월"], "매출": [120, 135, 150]})
    buf = io.BytesIO(); df.to_excel(buf, index=False); buf.seek(0)
    back = pd.read_excel(buf)
    assert back.equals(df), back
    model = LinearRegression().fit(np.arange(3).reshape(-1, 1), df["매출"])
    assert abs(model.coef_[0] - 15) < 1e-9
    soup = BeautifulSoup("<ul><li>가</li><li>나</li></ul>", "lxml")
    assert [li.text for li in soup.find_all("li")] == ["가", "나"]
    html = px.bar(df, x="월", y="매출").to_html(include_plotlyjs=False)
    assert "매출" in html or "\\ub9e4\\ucd9c" in html
    return "xlsx round trip, regression, bs4+lxml, plotly html"
check("pandas/openpyxl/sklearn/bs4/plotly work", data_roundtrip)

import matplotlib
from matplotlib import font_manager as fm
from matplotlib.ft2font import FT2Font
HANGUL = "월별 매출 추이 서울 부산 백만원"

def cjk_font(props_family):
    path = fm.findfont(fm.FontProperties(family=props_family), fallback_to_default=False)
    font = FT2Font(path)
    missing = sorted({c for c in HANGUL if c != " " and font.get_char_index(ord(c)) == 0})
    assert not missing, f"{path} lacks {missing}"
    assert any(k in os.path.basename(path) for k in ("Nanum", "CJK")), path
    return path

def cache():
    assert matplotlib.get_cachedir() == "/home/agent/.config/matplotlib", matplotlib.get_cachedir()
    assert os.path.exists(os.path.join(matplotlib.get_cachedir(), f"fontlist-v{fm.FontManager.__version__}.json"))
    return f"backend {matplotlib.get_backend()}, cache {matplotlib.get_cachedir()}"
check("matplotlib config dir writable, font cache present", cache)
check("font for Hangul (rcParams font.family) is CJK", lambda: cjk_font(matplotlib.rcParams["font.family"]))
check("font for Hangul (family sans-serif) is CJK", lambda: cjk_font(["sans-serif"]))

def chart(name, seaborn_theme):
    import matplotlib.pyplot as plt
    records = []
    handler = logging.Handler(); handler.emit = records.append
    logging.getLogger("matplotlib").addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if seaborn_theme:
            import seaborn as sns, pandas as pd
            sns.set_theme(style="whitegrid")
            cjk_font(matplotlib.rcParams["font.family"])
            df = pd.DataFrame({"월": [f"{m}월" for m in range(1, 7)] * 2,
                               "매출 (백만원)": [12, 15, 11, 18, 21, 19, 8, 9, 13, 12, 16, 17],
                               "지점": ["서울"] * 6 + ["부산"] * 6})
            fig, ax = plt.subplots(figsize=(7, 4))
            sns.barplot(data=df, x="월", y="매출 (백만원)", hue="지점", ax=ax)
            ax.set_title("seaborn: 지점별 월 매출 — 한글 테스트")
        else:
            fig, ax = plt.subplots(figsize=(7, 4))
            months = [f"{m}월" for m in range(1, 7)]
            ax.plot(months, [12, 15, 11, 18, 21, 19], marker="o", label="서울")
            ax.plot(months, [-3, 2, -1, 4, 6, 5], marker="s", label="부산 (증감)")
            ax.set_title("월별 매출 추이 — 한글 차트 테스트")
            ax.set_xlabel("월"); ax.set_ylabel("매출 (백만원)")
            ax.legend(title="지점")
        fig.tight_layout()
        os.makedirs(os.path.expanduser("~/check"), exist_ok=True)
        out = os.path.expanduser(f"~/check/{name}.png")
        fig.savefig(out, dpi=100)
        fig.savefig(io.BytesIO(), format="pdf")
        fig.savefig(io.BytesIO(), format="svg")
        plt.close(fig)
    logging.getLogger("matplotlib").removeHandler(handler)
    bad = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    bad += [r.getMessage() for r in records if "missing from" in r.getMessage()]
    assert not bad, bad[:3]
    return f"{out}, {os.path.getsize(out)} bytes, png+pdf+svg with no missing-glyph warning"
check("Korean line chart renders without missing glyphs", lambda: chart("hangul", False))
check("Korean chart after seaborn set_theme()", lambda: chart("hangul-seaborn", True))
PY
INNER
rc=$?
set -e
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
cat "$OUT/check.log"

# The charts were written to the volume; a second container reads them back (the volume persists).
for name in hangul hangul-seaborn; do
  "${run[@]}" cat "/home/agent/check/$name.png" >"$OUT/$name.png" 2>/dev/null || true
done
passed=$(grep -c '^ok ' "$OUT/check.log" || true)
failed=$(grep -c '^FAIL ' "$OUT/check.log" || true)
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; echo "FAIL the container exited $rc"; fi
for name in hangul hangul-seaborn; do
  if [ -s "$OUT/$name.png" ] && head -c 8 "$OUT/$name.png" | grep -q PNG; then
    echo "ok   $name.png read back from the volume: $OUT/$name.png"; passed=$((passed + 1))
  else
    echo "FAIL $name.png not readable from the volume"; failed=$((failed + 1))
  fi
done
echo "check: image $IMAGE, checks in one container took ${elapsed} s"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]

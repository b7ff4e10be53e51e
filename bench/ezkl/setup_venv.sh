#!/usr/bin/env bash
# Venv for the EZKL side-by-side (bench/ezkl/ezkl_run.py). Kept outside the repo so
# a fresh clone stays small and repeated runs reuse the ~100 MB of wheels.
# Pinned to ezkl 23.0.5 because that is the version in shared/bench/EZKL-BASELINE.md;
# onnxruntime supplies the float reference the error is measured against.
set -euo pipefail
VENV="${EZKL_VENV:-$HOME/.cache/zkinfer-bench/ezkl-venv}"
PY="${PYTHON:-python3}"
PKGS=(ezkl==23.0.5 onnx onnxruntime numpy)

# Fast path: an import check is cheaper than asking pip to resolve anything.
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PYEOF' 2>/dev/null
import importlib.metadata as m, onnx, onnxruntime, numpy, ezkl
assert m.version("ezkl") == "23.0.5"
PYEOF
then
  echo "$VENV"
  exit 0
fi

mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PKGS[@]}" >&2
echo "$VENV"

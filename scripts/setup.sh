# Shared set-up for scripts/handbook and scripts/test: sourced, not run.
# Makes .venv with sopkit, and Graphviz's `dot` when missing. SOPKIT_SETUP=test (set by
# scripts/test) adds the test tools and Chromium; scripts/handbook installs neither.
# Safe to run again: it only installs what changed or is missing.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* with apt-get"
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The distribution's Python first: Debian's, Ubuntu's and Fedora's are built with
# profile-guided and link-time optimisation, with libpython linked in; pyenv's default
# build has neither and runs sopkit 15-20% slower (docs/performance.md). PYTHON=...
# chooses another.
if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); else candidates=(/usr/bin/python3 python3); fi
pythons=()
for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    pythons+=("$candidate")
  fi
done
if [ ${#pythons[@]} -eq 0 ]; then
  say "sopkit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"
  exit 2
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  made=""
  for candidate in "${pythons[@]}"; do
    if "$candidate" -m venv .venv 2>/dev/null; then made=yes; break; fi
    rm -rf .venv
  done
  if [ -z "$made" ]; then
    apt_install python3-venv || { say "cannot create a virtual environment: install python3-venv"; exit 2; }
    "${pythons[0]}" -m venv .venv
  fi
fi

# Reinstall only when the project's declared dependencies change. The stamp says what
# was installed: the handbook needs sopkit alone, the tests need the `test` extra too.
setup=${SOPKIT_SETUP:-handbook}
stamp=.venv/.sopkit-installed
declared=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed=$(cat "$stamp" 2>/dev/null || true)
if [ "$setup" = test ]; then target="$declared test"; else target="$declared"; fi
if [ "$installed" != "$target" ] && [ "$installed" != "$declared test" ]; then
  if [ "$setup" = test ]; then
    say "installing sopkit and its test tools into .venv"; spec='.[test,oracle]'
  else
    say "installing sopkit into .venv"; spec='.'
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  # pip and setuptools talk a lot (an editable install's notices, index locations): their
  # words go to a log that is shown only when the install fails.
  log=.venv/pip-install.log
  if ! .venv/bin/python -m pip install --quiet -e "$spec" >"$log" 2>&1 ||
     ! .venv/bin/python -c 'import sopkit, ruamel.yaml, typer, jinja2, graphviz, markdown, nh3'; then
    cat "$log" >&2
    say "installing sopkit failed (the log above is in $log)"
    exit 2
  fi
  echo "$target" > "$stamp"
fi

# The browser tests of the HTML handbook drive Debian's Chromium (never a downloaded one);
# the print tests read its PDFs with poppler's pdftotext.
if [ "$setup" = test ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium ||
    say "Chromium is missing and could not be installed: the browser tests will fail (apt-get install chromium)"
fi
if [ "$setup" = test ] && ! command -v pdftotext >/dev/null 2>&1; then
  apt_install poppler-utils ||
    say "pdftotext is missing and could not be installed: the print tests will fail (apt-get install poppler-utils)"
fi

# Other tools' own checkers from npm: bpmnlint and bpmn-js (tests/test_bpmn_tools.py) and
# Mermaid (tests/test_mermaid.py), pinned by tests/bpmn/node/package-lock.json. Node.js
# itself from the distribution.
if [ "$setup" = test ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || say "npm is missing and could not be installed: the BPMN tool and Mermaid tests will fail"
  fi
  node_dir=tests/bpmn/node
  node_stamp="$node_dir/node_modules/.sopkit-installed"
  node_lock=$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)
  if command -v npm >/dev/null 2>&1 && [ "$(cat "$node_stamp" 2>/dev/null || true)" != "$node_lock" ]; then
    say "installing bpmnlint, bpmn-js and Mermaid (npm ci in $node_dir)"
    if (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
      echo "$node_lock" > "$node_stamp"
    else
      say "npm ci failed: the BPMN tool and Mermaid tests will fail"
    fi
  fi
fi

if ! command -v dot >/dev/null 2>&1; then
  apt_install graphviz fonts-dejavu-core ||
    say "Graphviz is missing and could not be installed: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS)"
fi

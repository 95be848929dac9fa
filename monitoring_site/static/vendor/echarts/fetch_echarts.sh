#!/bin/sh
# How echarts.min.js in this folder was fetched (the site loads nothing from a CDN: it must work on an
# intranet). Run from this folder to refresh or verify; needs npm and the npm registry only.
#   ECharts 6.1.0, tarball sha256 681aff88cc1038c3fa941a3a53d1b177a52250b05335efc607d6105ae13be481
set -eu
VERSION="${1:-6.1.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "echarts@$VERSION" >/dev/null && tar xzf "echarts-$VERSION.tgz")
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$work/package/NOTICE" .
cp "$work/package/licenses/LICENSE-d3" .
sha256sum "$work/echarts-$VERSION.tgz" echarts.min.js

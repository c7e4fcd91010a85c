#!/bin/sh
#   build-packages.sh - builds fogrid's Debian packages (fogrid-locator,
#   fogrid-hub, fogrid-miner, fogrid) into build-deb/, and checks them
#   with lintian
#
#   usage: deploy/deb/build-packages.sh [OUT_DIR]     (make deb)
#
#   dpkg-buildpackage -us -uc -b (binary only, unsigned) runs on a copy of
#   the tree made in OUT_DIR/src (the files git knows or would add, as in
#   deploy/images/build-images.sh), so the build starts clean and leaves
#   nothing in the tree: no obj directory, no debian/fogrid-*/. The four
#   .deb files, the .buildinfo and the .changes end up in OUT_DIR (default
#   build-deb), the -dbgsym packages in OUT_DIR/dbgsym. lintian's errors fail the build; its
#   warnings are listed. Needs debhelper and lintian (scripts/deps.sh deb).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
out_dir="${1:-$source_dir/build-deb}"

say () { echo "build-packages: $*"; }
fail () { echo "build-packages: $*" >&2; exit 1; }

for tool in dpkg-buildpackage dh lintian; do
    command -v "$tool" >/dev/null 2>&1 || fail "no $tool: install it (scripts/deps.sh deb)"
done

#   One version: the changelog's must be the project's (CMakeLists.txt)
version=$(dpkg-parsechangelog -l "$source_dir/debian/changelog" -S Version)
project=$(sed -n 's/^project (fogrid VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ "$version" = "$project" ] \
    || fail "debian/changelog says $version, CMakeLists.txt $project: add a changelog entry (dch -v $project)"

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
started=$(date +%s)
work="$out_dir/src"
rm -rf "$work" "$out_dir/dbgsym" "$out_dir"/*.deb "$out_dir"/*.buildinfo "$out_dir"/*.changes
tree="$work/fogrid-$version"
mkdir -p "$tree"
if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' _ \
        | tar --null -T - -cf -) | tar -C "$tree" -xf - \
        || fail "cannot copy the sources to $tree"
else
    tar -C "$source_dir" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tree" -xf - \
        || fail "cannot copy the sources to $tree"
fi

log="$out_dir/build.log"
say "dpkg-buildpackage -us -uc -b in $tree (log: $log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b -j"$(nproc 2>/dev/null || echo 2)") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "dpkg-buildpackage failed (above: the end of $log)"
fi
say "built in $(( $(date +%s) - started )) s:"
(cd "$work" && ls -1 ./*.deb | grep -v -- -dbgsym_ | sed 's,^\./,  ,')

#   lintian over the .changes: every package and the .buildinfo
changes=$(ls "$work"/*.changes)
lint="$out_dir/lintian.txt"
say "lintian $(basename "$changes") (all of it: $lint)"
lintian_rc=0
lintian --fail-on error --display-info --tag-display-limit 0 "$changes" >"$lint" 2>&1 || lintian_rc=$?
errors=$(grep -c '^E:' "$lint" || true)
warnings=$(grep -c '^W:' "$lint" || true)
grep '^[EW]:' "$lint" | sed 's/^/  /' || true
say "lintian: $errors error(s), $warnings warning(s)"
if [ "$lintian_rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
    fail "lintian found errors (above; the packages are left in $work)"
fi

#   The -dbgsym packages apart, so that `apt-get install ./build-deb/*.deb`
#   takes the four packages alone
mkdir -p "$out_dir/dbgsym"
mv "$work"/*-dbgsym_*.deb "$out_dir/dbgsym/"
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out_dir"/
rm -rf "$work"
say "packages in $out_dir"

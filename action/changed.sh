#!/usr/bin/env bash
# Lists the scenario files (*.yaml, *.yml) under the given paths that the
# pull request changed against BASE (a commit or ref), one per line; with
# BASE empty, every scenario under the paths. A directory of scenarios is
# listed file by file, like `rehearse suite` expands it.
#
#   action/changed.sh BASE PATH...
set -euo pipefail
base=$1
shift
for path in "$@"; do
	if [[ -d $path ]]; then
		find "$path" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) ! -name '.rehearse.yaml'
	elif [[ -f $path ]]; then
		echo "$path"
	fi
done | sort -u | while read -r file; do
	if [[ -z $base ]]; then
		echo "$file"
		continue
	fi
	# A scenario counts as changed when it, or a file beside it or below its
	# directory (schema, migrations), changed.
	dir=$(dirname "$file")
	if ! git diff --quiet "$base" -- "$file" "$dir"; then
		echo "$file"
	fi
done

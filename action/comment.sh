#!/usr/bin/env bash
# Posts REPORT.md as a comment on pull request PR, or updates the comment it
# posted before for the same KEY (one sticky comment per scenario): the
# comment carries a hidden marker <!-- rehearse:KEY -->. Uses the gh CLI
# with GH_TOKEN (the workflow's GITHUB_TOKEN) and GITHUB_REPOSITORY.
#
#   action/comment.sh PR KEY REPORT.md
set -euo pipefail
pr=$1 key=$2 report=$3
marker="<!-- rehearse:$key -->"
body=$(printf '%s\n%s\n' "$marker" "$(cat "$report")")
# GitHub's limit on a comment body is 65536 characters.
if (( ${#body} > 65000 )); then
	body="${body:0:64000}

… (cut: the full report is in the workflow run's artifacts)"
fi
id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
	--jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [[ -n $id ]]; then
	gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -f body="$body" >/dev/null
	echo "updated comment $id for $key"
else
	gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -f body="$body" >/dev/null
	echo "posted a comment for $key"
fi

#!/usr/bin/env bash
# The demo: the GSM8K replay sweep (four recorded GPT-3 models + a simulated pool), its summary, one audit.
set -euo pipefail
data_dir="$1"
bin=.build/debug/teamllm
manifest=registry/manifests/demo-gsm8k-replay.yaml
opts=(--data-dir "$data_dir" --runs-dir runs)
echo "== plan (nothing is called)"
$bin plan "$manifest" "${opts[@]}"
echo "== run (resumes if it was interrupted; a finished run is left as it is)"
$bin run "$manifest" "${opts[@]}"
run=$($bin plan "$manifest" "${opts[@]}" | awk 'NR==1 {print $2}')
echo "== summary of $run"
$bin summary "$run" "${opts[@]}"
echo "== agreement with the publisher's is_correct labels"
$bin agreement "$run" "${opts[@]}"
echo "== verify"
$bin verify "$run" "${opts[@]}"
echo "== audit of one cell (model gpt3-175b-verification, item 0)"
$bin audit "$run" --model gpt3-175b-verification --item 0 "${opts[@]}"
echo "== matrix: $bin matrix $run --format csv ${opts[*]}"

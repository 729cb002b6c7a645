# The two commands of the Quickstart. Each installs what is missing first (scripts/setup.sh).
.PHONY: setup demo test bench

setup:
	@bash scripts/setup.sh

## make demo: the main job, end to end on bundled credit-g data
demo: setup
	@node dist/src/cli/main.js demo

## make test: the whole test suite (unit, integration on real data, CLI end to end)
test: setup
	@npx vitest run

## make bench: Lepton beside its peers (PyTorch, scikit-learn, XGBoost from Python), same run
bench:
	@bash scripts/setup.sh --bench
	@node dist/bench/run.js

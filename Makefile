# The two commands of README.md. Both install what they need themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run devices test lint bench clean system

$(BIN)/python:
	bash scripts/python.sh $(PY)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	bash scripts/debian.sh devices gcc swig libpcsclite-dev
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	ONEWINDOW_DEMO=1 $(BIN)/onewindow migrate
	ONEWINDOW_DEMO=1 $(BIN)/onewindow demo --agent-config var/agent-kiosk-1.toml
	@echo
	@echo "  取号机 kiosk:      http://127.0.0.1:8000/kiosk/jinan?token=<kiosk token above>"
	@echo "  窗口 counter:      http://127.0.0.1:8000/counter/jinan/1   (clerk01 / demo1234)"
	@echo "  大屏 display:      http://127.0.0.1:8000/display/jinan   (?queues=A,B for one theme's screen)"
	@echo "  窗口屏 counter screen: http://127.0.0.1:8000/display/jinan/counter/1"
	@echo "  评价器 rating tablet: http://127.0.0.1:8000<rating tablet of counter 1 above> (its counter token, once)"
	@echo "  (display PCs: start Chromium with --autoplay-policy=no-user-gesture-required so calls are spoken)"
	@echo "  督查 dashboard:    http://127.0.0.1:8000/dashboard/jinan  (manager / demo1234)"
	@echo "  API:               http://127.0.0.1:8000/openapi.json"
	@echo "  设备 devices:      kiosk-1's agent runs beside the server (log: var/agent.log); its ID-card reader,"
	@echo "                     printer and counter keypads are emulated: in a second terminal run  make devices"
	@echo
	@ONEWINDOW_DEMO=1 $(BIN)/onewindow agent --config var/agent-kiosk-1.toml >var/agent.log 2>&1 & agent=$$!; \
	trap "kill $$agent 2>/dev/null" EXIT INT TERM; \
	ONEWINDOW_DEMO=1 $(BIN)/onewindow serve --host 127.0.0.1 --port 8000

# The demo kiosk's devices, emulated on ptys in var/dev and driven from this terminal:
# `present 65` places a 65-year-old's ID card, `key 1 call` presses counter 1's call key, `paper out` …
devices: $(STAMP)
	$(BIN)/onewindow emulate all --link var/dev

# System packages the tests use (as root on Debian): PostgreSQL, Redis, Chromium and CJK fonts,
# pcscd with the virtual reader vpcd, socat; nginx, openssl, iproute2 and the PostgreSQL client
# for the deployment and backup tests.
system:
	bash scripts/services.sh
	bash scripts/browser.sh
	bash scripts/debian.sh devices pcscd vsmartcard-vpcd socat
	bash scripts/debian.sh deploy nginx-light openssl iproute2 postgresql-client

test: $(STAMP) system
	$(BIN)/ruff check server kiosk counters displays dashboard visitor admin backoffice prereview guide devices tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache

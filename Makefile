# Shopfloor Kiosk — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PYTEST_ARGS ?=
# The browser suites (Debian's Chromium through Playwright, every page in both languages),
# the fault-injection rounds (kill -9 the kiosk or the server, cut the link) and the API
# fuzzing run in `make test-slow`, which CI runs after `make test`, to keep `make test`
# under 30 min.
BROWSER_TESTS := tests/e2e/test_admin.py tests/e2e/test_admin_appeal.py \
	tests/e2e/test_admin_periods.py tests/e2e/test_admin_rewards.py \
	tests/e2e/test_admin_videos.py tests/e2e/test_wall_browser.py \
	tests/e2e/test_wall_banner.py tests/e2e/test_admin_axe.py \
	tests/e2e/test_admin_growth.py tests/e2e/test_admin_voice_packs.py \
	tests/e2e/test_admin_worker_language.py
# Real servers under gunicorn with their own clients: alerts reaching a webhook, slow
# clients cut off, the demo built and served, `make run`'s output, nginx before /metrics.
LIVE_SERVER_TESTS := tests/server/alerts/test_alerts_live.py \
	tests/server/security/test_slow_clients_live.py tests/server/test_demo.py \
	tests/server/test_front_door.py tests/server/test_metrics_nginx.py
# The whole-system runs (server + kiosk window + card or video; rogue servers and codes;
# advertising while serving; backup and restore through the commands) and the kiosk card's
# screenshot matrix are here too, so make test stays under 30 minutes on 2 cores.
SLOW_TESTS := $(BROWSER_TESTS) tests/discovery/test_fault_server_kill.py \
	tests/discovery/test_fault_kiosk_kill.py tests/discovery/test_fault_partition.py \
	tests/server/api/test_api_schemathesis.py tests/e2e/test_kiosk_e2e.py \
	tests/e2e/test_kiosk_rewards_e2e.py tests/e2e/test_video_kiosk.py \
	tests/kiosk/test_kiosk_card_layout.py tests/discovery/test_rogue_enrolment.py \
	tests/discovery/test_rogue_server.py tests/discovery/test_advertising.py \
	tests/server/test_backup.py $(LIVE_SERVER_TESTS)

.PHONY: run install system-packages test-setup test test-slow bench bench-load soak lint clean \
	image image-test bundle

run: install
	scripts/run-demo.sh

install: system-packages $(STAMPS)/venv

system-packages:
	@scripts/install-system-packages.sh scripts/packages/run-*.txt

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[server,kiosk]'
	@touch $@

test-setup: install $(STAMPS)/test-venv
	@scripts/install-system-packages.sh scripts/packages/test-*.txt

$(STAMPS)/test-venv: pyproject.toml $(STAMPS)/venv
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

test: test-setup
	$(BIN)/ruff check server kiosk shopfloor_logging shopfloor_trust shopfloor_voice tests
	$(BIN)/mypy server kiosk shopfloor_logging shopfloor_trust shopfloor_voice
	$(BIN)/python -m pytest $(addprefix --ignore=,$(SLOW_TESTS)) --durations=15 $(PYTEST_ARGS)

test-slow: test-setup
	$(BIN)/python -m pytest $(SLOW_TESTS) --durations=10 $(PYTEST_ARGS)

bench: test-setup
	$(BIN)/python -m pytest tests/bench -o python_files='bench_*.py' \
		--ignore=tests/bench/bench_load.py -s $(PYTEST_ARGS)

# The server under locust: the /health ceiling, 100 kiosks with 200 wall TVs, the TVs alone,
# 60 s each (about 4 minutes; tests/bench/bench_load.py says how to read it).
bench-load: test-setup
	$(BIN)/python -m pytest tests/bench/bench_load.py -o python_files='bench_*.py' -s \
		$(PYTEST_ARGS)

# The kiosk kill -9 fault test for 1,000 rounds instead of make test's 100 (tests/discovery).
SOAK_ROUNDS ?= 1000
soak: test-setup
	ROUNDS=$(SOAK_ROUNDS) $(BIN)/python -m pytest tests/discovery/test_fault_kiosk_kill.py -s $(PYTEST_ARGS)

# The kiosk's root filesystem and its bootable disk image with a compressed copy
# (kiosk-images/README.md); needs root. IMAGE_ARGS go to build-rootfs.sh (--no-kernel: the
# folder only, no disk), DISK_ARGS to build-disk.sh (--compress zstd, --data-size MiB).
IMAGE_DIR ?= build/kiosk-rootfs
IMAGE_DISK ?= build/shopfloor-kiosk.img
IMAGE_ARGS ?=
DISK_ARGS ?=
image: install
	@scripts/install-system-packages.sh scripts/packages/image.txt
	rm -rf $(IMAGE_DIR)
	PYTHON=$(BIN)/python kiosk-images/build-rootfs.sh $(IMAGE_DIR) $(IMAGE_ARGS)
	@if [[ " $(IMAGE_ARGS) " == *" --no-kernel "* ]]; then echo "--no-kernel: no disk image"; \
	else kiosk-images/build-disk.sh $(IMAGE_DIR) $(IMAGE_DISK) $(DISK_ARGS); fi

# Slow, not part of `make test` (.ci/run runs it after): a root filesystem checked inside,
# its disk image booted in QEMU (tests/image/image_kiosk_boot.py), the fleet playbook run
# twice in a chroot (image_playbook.py), the server installed online and from a bundle with
# networking off (image_server_install.py).
image-test: test-setup
	@scripts/install-system-packages.sh scripts/packages/image.txt scripts/packages/bundle.txt
	$(BIN)/python -m pytest tests/image -o python_files='image_*.py' -s $(PYTEST_ARGS)

# The offline server install: one archive with the server's wheels and the Debian 12
# packages it needs (scripts/build-bundle.sh; install.sh --offline installs from it).
bundle: install
	@scripts/install-system-packages.sh scripts/packages/bundle.txt
	PYTHON=$(BIN)/python scripts/build-bundle.sh build

lint: test-setup
	$(BIN)/ruff check server kiosk shopfloor_logging shopfloor_trust shopfloor_voice tests
	$(BIN)/mypy server kiosk shopfloor_logging shopfloor_trust shopfloor_voice

clean:
	rm -rf $(STAMPS) build *.egg-info test-artifacts .cache/kiosk-image

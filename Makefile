# bulkhead -- the front door. Everything real lives in meson and scripts/.
#   make demo    install what is missing, build, run the example VM
#   make check   install what is missing, build (normal + ASan/UBSan), run every test
#   make bench   benchmarks against dbus-daemon and dbus-broker (never part of check)
#   make fuzz    build the libFuzzer targets with clang and run each for FUZZ_SECONDS

BUILD      ?= build
SAN_BUILD  ?= build-sanitize
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all setup build demo check bench fuzz clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

check: setup
	@scripts/check.sh $(BUILD) $(SAN_BUILD)

bench: build
	@bench/run.sh $(BUILD)

fuzz: setup
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

# Thin wrapper over CMake. The two commands of the README's quick start:
#   make run    install what is missing, build, create a node if there is none, start isxd
#   make test   install what is missing, build (warnings are errors), run every test, also
#               under AddressSanitizer and UndefinedBehaviorSanitizer
#   make demo   build, start four federated nodes (CN, RU, KZ, SCO) in a temporary directory
#               and walk through federation, checking every step (DEMO_LANG=zh|ru|en)
MAKEFLAGS += --no-print-directory
PARTY ?= CN
NODE ?= var/node

.PHONY: all deps build run test demo bench format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISX_WERROR=ON >/dev/null
	@cmake --build build -j 2

run: build
	@PARTY=$(PARTY) NODE=$(NODE) sh scripts/run.sh

test: deps
	@sh scripts/test.sh

demo: build
	@sh scripts/demo.sh

bench: build
	@sh bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

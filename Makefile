# SPDX-License-Identifier: MIT
# leakscope: `make` builds ./leakscope, `make test` runs every test,
# `make demo` traces a bundled leaky program. See README.md.

OUT      := build
BIN      := leakscope
# `make SANITIZE=1`: the tool and unit tests built with ASan and UBSan
# (clang: its UBSan also checks float-to-integer casts) into build-san/,
# never mixed with the normal build. The fuzz targets' library is built
# the same way with libFuzzer's coverage into build-fuzz/ (`make fuzz`).
ifeq ($(SANITIZE),1)
OUT      := build-san
BIN      := $(OUT)/leakscope
CC       := clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -fno-omit-frame-pointer
else ifeq ($(FUZZ),1)
OUT      := build-fuzz
CC       := clang
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
BPF_CC   ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
ARCH     := x86

# CFLAGS is the user's (make CFLAGS=... replaces it); what the build
# needs lives in LS_CFLAGS, so a command-line CFLAGS cannot drop it.
CFLAGS   ?= -O2 -g
LS_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	    -std=gnu11 -D_GNU_SOURCE -MMD -MP -I$(OUT) -Ibpf -Isrc
ALL_CFLAGS = $(CFLAGS) $(LS_CFLAGS) $(SAN_FLAGS)
LDLIBS   := -lbpf -lelf -lz -ldw -lcapstone -ljansson -lcurl -lprotobuf-c -lstdc++ -lm -lmicrohttpd
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -MMD -MP \
	    -Ivmlinux/$(ARCH) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# src/ has one folder per stage of the data flow (src/README.md); objects
# mirror it under build/obj/.
SRCS     := $(wildcard src/*.c src/*/*.c)
OBJS     := $(patsubst src/%.c,$(OUT)/obj/%.o,$(SRCS))
# pprof's profile.proto, in our words (src/export/pprof_profile.proto),
# compiled by Debian's protobuf-c
PROTOS   := $(wildcard src/*/*.proto)
PROTO_C  := $(patsubst src/%.proto,$(OUT)/%.pb-c.c,$(PROTOS))
PROTO_H  := $(PROTO_C:.c=.h)
PROTO_OBJS := $(PROTO_C:.c=.o)
LIB_OBJS := $(filter-out $(OUT)/obj/main.o,$(OBJS)) $(PROTO_OBJS)
# Unit tests (tests/unit/*_test.c), linked against the library like the tool.
UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
# libFuzzer targets, one per parser of input leakscope does not control
# (tests/fuzz/*.c, each with a seed corpus in tests/fuzz/corpus/NAME/).
FUZZ_SRCS := $(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

.PHONY: all deps test-deps vmlinux test unit unit-bins e2e demo bench clean install \
	fuzz fuzz-bins soak ci ci-extra sanitize

# The BPF objects are kept (not only their skeletons): the tests list
# every program of ours from them.
all: deps $(BIN) $(BPF_OBJS)

# Packages come from Debian only; the script is a no-op when all are there.
deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

vmlinux:
	scripts/gen-vmlinux.sh vmlinux/$(ARCH)/vmlinux.h

$(OUT):
	@mkdir -p $@

# -MMD: a change to any bpf/*.h an object includes rebuilds it
$(OUT)/%.bpf.o: bpf/%.bpf.c bpf/leakscope.h bpf/common.bpf.h vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(BPF_CC) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/%.pb-c.c $(OUT)/%.pb-c.h: src/%.proto | $(OUT)
	@mkdir -p $(@D)
	protoc-c --proto_path=$(<D) --c_out=$(@D) $<

$(PROTO_OBJS): %.o: %.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Every object may include a skeleton or generated header: build them first.
$(OBJS): $(OUT)/obj/%.o: src/%.c $(SKELS) $(PROTO_H) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The SVG writer embeds its script with .incbin (src/export/svg.c).
$(OUT)/obj/export/svg.o: src/export/flamegraph.js

$(OUT)/libleakscope.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(OUT)/obj/main.o $(OUT)/libleakscope.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/tests/%_test: tests/unit/%_test.c tests/unit/check_main.c tests/unit/check.h $(OUT)/libleakscope.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 -Itests/unit -o $@ $< tests/unit/check_main.c $(OUT)/libleakscope.a $(LDLIBS)

unit-bins: $(UNIT_BINS)

# Built by `$(MAKE) FUZZ=1 fuzz-bins` (the library instrumented for
# coverage); the seed corpus is committed, what the fuzzer adds goes to
# build-fuzz/corpus/, crashes to build-fuzz/crashes/.
build-fuzz/fuzz/%.o: tests/fuzz/%.c $(SKELS) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DLS_SOURCE_DIR='"$(CURDIR)"' -Itests/fuzz -c $< -o $@

build-fuzz/fuzz/%: build-fuzz/fuzz/%.o build-fuzz/fuzz/fuzz_util.o build-fuzz/libleakscope.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz-bins: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_BINS:=.o) build-fuzz/fuzz/fuzz_util.o

# Every target for FUZZ_SECONDS (default 60) on its corpus; `make test`
# runs the short form (corpus replay and a fixed number of runs).
fuzz: test-deps
	@tests/run.sh --fuzz $(FUZZ_SECONDS)

# The unit tests and a subset of the end-to-end tests against the ASan +
# UBSan build (build-san/); CI runs it after make test (make ci).
sanitize: test-deps
	@tests/run.sh --sanitize

# Target safety: Go and C stress programs under full tracing for
# SOAK_MINUTES (default 10), output compared with untraced runs.
SOAK_MINUTES ?= 10
soak: all test-deps
	@tests/soak/run.py --minutes $(SOAK_MINUTES)

test: all test-deps
	@tests/run.sh

# What CI adds after make test (.ci/run): every fuzz target for
# FUZZ_SECONDS and the sanitizer build's tests, one summary line.
ci-extra: all test-deps
	@tests/run.sh --extra $(FUZZ_SECONDS)

# make test and ci-extra in one run, with one summary line.
ci: all test-deps
	@tests/run.sh --ci

unit: all test-deps
	@tests/run.sh --unit

e2e: all test-deps
	@tests/run.sh --e2e

demo: all test-deps
	@scripts/demo.sh

bench: all test-deps
	@scripts/bench.sh

install: all
	install -D -m 0755 $(BIN) $(DESTDIR)/usr/local/bin/leakscope

clean:
	rm -rf build build-san build-fuzz leakscope

-include $(OBJS:.o=.d) $(PROTO_OBJS:.o=.d) $(UNIT_BINS:=.d) $(FUZZ_BINS:=.d) $(BPF_OBJS:.o=.d)

# portcullis build. `make` builds build/portcullis; `make test` runs the
# whole test suite (needs root); `make demo`, `make bench`.
# Quiet unless V=1.

ARCH ?= x86
OUT := build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

INCLUDES := -Iinclude -I$(OUT) -Ivmlinux/$(ARCH)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Iinclude
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -std=gnu11 $(INCLUDES)
LDLIBS := -lbpf -lelf -lz -ljansson -lyaml -lcrypto -lpcap -lcares

ABI_HDRS := include/portcullis.h $(wildcard include/portcullis/*.h)
BPF_HDRS := $(wildcard bpf/*.h) $(ABI_HDRS)
SKEL := $(OUT)/portcullis.skel.h
REF_SKEL := $(OUT)/bench_ref.skel.h

# Library of the user-space code shared by the CLI and the tests.
LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS)) \
	$(OUT)/user/default_policy.o
USER_HDRS := $(wildcard user/*.h) $(ABI_HDRS) $(SKEL)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN := $(OUT)/unit_tests
# The bench reuses the unit tests' frame builder and harness.
BENCH_SRCS := tests/bench/bench.c tests/bench/measure.c tests/bench/paths.c \
	tests/bench/scaling.c \
	tests/unit/harness.c
BENCH_BIN := $(OUT)/pc-bench

.PHONY: all clean test unit e2e demo bench format fuzz
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/portcullis

$(OUT) $(OUT)/user $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUT)/user/%.o: user/%.c $(USER_HDRS) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/user/default_policy.o: user/default_policy.S policies/default.yaml | $(OUT)/user
	$(call msg,AS,$@)
	$(Q)$(CC) -c $< -o $@

$(OUT)/portcullis: $(OUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(UNIT_BIN): $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(LIB_OBJS) $(USER_HDRS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/unit $(UNIT_SRCS) $(LIB_OBJS) $(LDLIBS) -o $@

$(BENCH_BIN): $(BENCH_SRCS) tests/bench/bench.h $(LIB_OBJS) $(USER_HDRS) $(REF_SKEL) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/unit $(BENCH_SRCS) $(LIB_OBJS) $(LDLIBS) -o $@

$(OUT)/pc-flood: tests/bench/flood.c $(OUT)/flood.skel.h $(REF_SKEL) $(LIB_OBJS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser tests/bench/flood.c $(LIB_OBJS) $(LDLIBS) -o $@

test: all $(UNIT_BIN) $(BENCH_BIN)
	$(Q)tests/run

unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

e2e: all
	$(Q)tests/run --e2e-only

demo: all
	$(Q)scripts/demo

bench: all $(BENCH_BIN) $(OUT)/pc-flood
	$(Q)scripts/bench

# Fuzz the policy parser (not part of `make test`): FUZZ_SECONDS=60.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := tests/fuzz/fuzz_policy.c user/policy.c user/policy_yaml.c \
	user/policy_rules.c user/policy_sections.c user/common.c user/netns.c \
	user/counters.c \
	user/default_policy.S

$(OUT)/fuzz_policy: $(FUZZ_SRCS) $(wildcard user/*.h) | $(OUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iuser \
		$(FUZZ_SRCS) -lbpf -lyaml -lcrypto -o $@

fuzz: $(OUT)/fuzz_policy
	$(Q)mkdir -p $(OUT)/fuzz-corpus
	$(Q)cp policies/*.yaml tests/policies/*.yaml tests/policies/bad/*.yaml $(OUT)/fuzz-corpus/
	$(Q)$(OUT)/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-print_final_stats=1 $(OUT)/fuzz-corpus

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h include/*.h include/portcullis/*.h tests/unit/*.c tests/unit/*.h tests/bench/*.c tests/bench/*.h

clean:
	$(Q)rm -rf $(OUT)

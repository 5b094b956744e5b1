#!/usr/bin/env bash
# Ristretto against llama.cpp on one GGUF file: llama-bench's tests for both, same threads, taking turns, one table.
#   scripts/bench-vs-llamacpp.sh -m FILE.gguf -t 2 [-p 512] [-n 128] [-d 0] [-r 5] [-b 512] [-o md|json]
#                                [--llama-bench PROGRAM]
# llama.cpp is build 4916 from the de.kherud:llama jar, called through FFM (bench module, LlamaCppPeer): a generic
# AVX2 build. --llama-bench runs a llama-bench program instead (a native build of your own), once per test.
# Builds what it needs first: the app through the ./ristretto launcher, then the bench module with Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/jdk.sh
. "$root/scripts/jdk.sh"
ristretto_find_jdk || exit 1

# The launcher rebuilds the app when its sources changed (and says so); --version runs nothing else.
"$root/ristretto" --version >/dev/null

bench="$root/bench/target"
stamp="$bench/.bench-built"
bench_stale() {
    [ -f "$stamp" ] && [ -d "$bench/lib" ] || return 0
    [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \
        \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$stamp" -print -quit)" ]
}
if bench_stale; then
    command -v mvn >/dev/null 2>&1 || { echo "bench-vs-llamacpp: Maven (mvn) is needed to build the bench module" >&2; exit 1; }
    echo "bench-vs-llamacpp: building the bench module…" >&2
    log="$(mktemp)"
    if ! (cd "$root" && mvn -B -q -DskipTests -Dmaven.javadoc.skip=true package -pl bench -am >"$log" 2>&1); then
        grep -v '^WARNING:' "$log" >&2 || true
        rm -f "$log"
        echo "bench-vs-llamacpp: the build failed (see above)" >&2
        exit 1
    fi
    rm -f "$log"
    touch "$stamp"
fi

# The JVM flags of ./ristretto (scripts/jdk.sh); the incubator notice on stderr is dropped, everything else is kept.
set +e
{ "$JAVA_HOME/bin/java" "${ristretto_jvm_flags[@]}" ${JAVA_OPTS:-} \
    -cp "$bench/classes:$bench/lib/*" org.ristretto.bench.BenchVsLlamaCpp "$@" 2>&1 1>&3 3>&- \
    | grep -v --line-buffered '^WARNING: Using incubator modules' ; } 3>&1 1>&2
exit "${PIPESTATUS[0]}"

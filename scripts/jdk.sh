# Sourced by ./ristretto, ./test and the scripts: finds a JDK 25 or newer and exports JAVA_HOME to it, and names the
# JVM flags the app runs with.
# JAVA_HOME wins when it already points at one; otherwise the usual JVM folders are searched, newest first.

ristretto_java_major() {
    # Prints the feature version of the JDK at $1 (e.g. 25), or nothing.
    local release="$1/release"
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
    if [ -f "$release" ]; then
        sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
    else
        "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
    fi
}

ristretto_find_jdk() {
    local candidate major best="" best_major=0
    if [ -n "${JAVA_HOME:-}" ]; then
        major=$(ristretto_java_major "$JAVA_HOME")
        if [ -n "$major" ] && [ "$major" -ge 25 ]; then
            return 0
        fi
    fi
    for candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
                     "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
        [ -d "$candidate" ] || continue
        major=$(ristretto_java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
            best="$candidate"
            best_major="$major"
        fi
    done
    if [ -z "$best" ]; then
        echo "ristretto: needs a JDK 25 or newer, and found none (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm searched); install one, e.g. Temurin 25 (apt-get install temurin-25-jdk), and set JAVA_HOME to it" >&2
        return 1
    fi
    export JAVA_HOME="$best"
}

# The JVM flags ./ristretto and scripts/bench-vs-llamacpp.sh start the app with. Ristretto's own methods reach the
# optimizing JIT (C2) after a fiftieth of the usual calls: the per-layer methods of a forward pass run a few hundred
# times a second, so by default they spent tens of seconds in slower code, and in C1 code the Vector API is not
# compiled to vector instructions. Cold `run` of a 1B Q4_0 model: 5-token prompt 7.2-9.7 s -> 4.9-5.7 s, 48
# generated tokens 6.4-7.6 s -> 4.3-4.9 s (three runs each, interleaved). `quiet` keeps the JIT's notice off stdout.
# TypeProfileLevel=222 profiles the types of arguments and return values at every call, not only method handles':
# when C2 compiles a kernel from a method C1 did not profile (it skips that tier while C2's queue is long), the
# returned vectors' classes then still reach it, and it keeps the Vector API's intrinsics. Without it, in a decoding
# harness (1B Q4_0, 2 threads), four runs in six compiled PackedQ4_0 or PackedQ6_K to boxed vectors (3 to 80 MB of
# garbage per token); with it, none in eight. `run -n 64` of that model: 32.5 against 29.2 t/s, mean of seven
# interleaved pairs.
# The Vector API's own methods (jdk.incubator.vector.*) reach C2 after twenty times the usual calls instead: they are
# the Java fallbacks that run only until a kernel is compiled with the intrinsics, and in a cold start C2 spent its
# queue on them (about 230 of them compiled in a Q4_K_M warm-up, ShortVector.bOpTemplate and the like) while the
# kernels waited. Cold `run -p "Once upon a time" -n 8`, three interleaved rounds on the 1B Q8_0, Q4_K_M and Q4_0 files
# (Zen 4, 2026-12-07): faster in 9 of 9 pairs, 3.7-5.1 s against 3.8-8.1 s, and peak RSS 2.8 against 2.9-3.8 GiB
# for Q8_0 (less garbage from the fallbacks); `ristretto bench -p 512 -n 128 -r 3`, two rounds per file: no change
# beyond the host's noise (pp512 faster in 4 of 6, tg128 in 3 of 6).
# shellcheck disable=SC2034 # used by the scripts that source this one
ristretto_jvm_flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m
    -XX:TypeProfileLevel=222
    -XX:CompileCommand=quiet "-XX:CompileCommand=CompileThresholdScaling,org.ristretto.*::*,0.02"
    "-XX:CompileCommand=CompileThresholdScaling,jdk.incubator.vector.*::*,20.0")

# Sourced by ./ristretto and ./test: finds a JDK 25 or newer and exports JAVA_HOME to it.
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

# Sourced by test.sh: make sure Debian's Chromium is there for the studio's browser tests (tests/studio/).
# Playwright drives /usr/bin/chromium itself (never `playwright install`, which downloads a browser). In CI
# (CI set) a browser that cannot be installed stops the run here; elsewhere the browser tests skip, saying why.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing chromium and chromium-driver (Debian packages) for the browser tests"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null || true
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null || true
    fi
    if [ ! -x /usr/bin/chromium ]; then
        if [ -n "${CI:-}" ]; then
            echo "tools/browser.sh: /usr/bin/chromium is missing and could not be installed; the browser tests need it" >&2
            exit 1
        fi
        echo "tools/browser.sh: no /usr/bin/chromium (apt-get install chromium as root); browser tests will be skipped" >&2
    fi
fi
